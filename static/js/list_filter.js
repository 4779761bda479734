// The filter box of /tags/ and /users/: narrows the list as you type. The server filters and
// renders (the same partial as the page); this only asks for it, debounced, and swaps it in.
const DEBOUNCE_MS = 250;

for (const form of document.querySelectorAll("form.list-filter")) {
  const input = form.querySelector('input[name="q"]');
  let timer = null;
  let controller = null;
  let last = input.value;

  async function refresh() {
    const query = input.value.trim();
    if (query === last) return;
    last = query;
    const params = new URLSearchParams(new FormData(form));
    params.set("q", query);
    if (!query) params.delete("q");
    const url = `${form.action}${params.toString() ? "?" + params : ""}`;
    controller?.abort();
    controller = new AbortController();
    try {
      const response = await fetch(url, {
        headers: { "X-Requested-With": "XMLHttpRequest" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (!response.ok) return;
      const template = document.createElement("template");
      template.innerHTML = await response.text(); // our own server-rendered, escaped partial
      const fresh = template.content.getElementById(form.dataset.target);
      const current = document.getElementById(form.dataset.target);
      if (fresh && current) current.replaceWith(fresh);
      history.replaceState(null, "", url);
    } catch (error) {
      if (error.name !== "AbortError") console.warn("list filter:", error);
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    last = null;
    refresh();
  });
}
