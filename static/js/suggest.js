// Suggestions under the header search box: debounced, stale requests aborted, keyboard driven.
// Titles are user text: they go in with textContent only.
const DEBOUNCE_MS = 250;
const MIN_CHARS = 2;

const input = document.getElementById("search-input");
const menu = document.getElementById("search-suggestions");

if (input && menu) {
  let timer = null;
  let controller = null;
  let active = -1;
  let lastQuery = null;

  const items = () => Array.from(menu.querySelectorAll(".dropdown-item"));

  function close() {
    menu.classList.remove("show");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function setActive(index) {
    const list = items();
    if (!list.length) return;
    active = (index + list.length) % list.length;
    list.forEach((el, i) => {
      el.classList.toggle("active", i === active);
      el.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", list[active].id);
    list[active].scrollIntoView({ block: "nearest" });
  }

  function render(results, query) {
    menu.replaceChildren();
    active = -1;
    if (!results.length) {
      const empty = document.createElement("span");
      empty.className = "dropdown-item-text text-secondary small suggest-empty";
      empty.textContent = input.dataset.labelEmpty || "—";
      menu.append(empty);
    }
    results.forEach((result, i) => {
      const link = document.createElement("a");
      link.className = "dropdown-item text-wrap";
      link.id = `search-suggestion-${i}`;
      link.href = result.url;
      link.setAttribute("role", "option");
      link.setAttribute("aria-selected", "false");
      link.dataset.id = String(result.id);
      link.textContent = result.title;
      menu.append(link);
    });
    const all = document.createElement("a");
    all.className = "dropdown-item small text-primary border-top suggest-all";
    all.href = `${input.form.action}?q=${encodeURIComponent(query)}`;
    all.textContent = (input.dataset.labelAll || "{q}").replace("{q}", () => query);
    menu.append(all);
    menu.classList.add("show");
    input.setAttribute("aria-expanded", "true");
  }

  async function fetchSuggestions(query) {
    if (controller) controller.abort();
    controller = new AbortController();
    const url = `${input.dataset.suggestUrl}?q=${encodeURIComponent(query)}`;
    try {
      const response = await fetch(url, {
        signal: controller.signal,
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const body = await response.json();
      if (input.value.trim() !== query) return; // typed on meanwhile
      render(body.results || [], query);
    } catch (error) {
      if (error.name !== "AbortError") close();
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const query = input.value.trim();
    if (query.length < MIN_CHARS) {
      if (controller) controller.abort();
      lastQuery = null;
      close();
      return;
    }
    if (query === lastQuery && menu.classList.contains("show")) return;
    timer = setTimeout(() => {
      lastQuery = query;
      fetchSuggestions(query);
    }, DEBOUNCE_MS);
  });

  input.addEventListener("keydown", (event) => {
    const open = menu.classList.contains("show");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!open) {
        const query = input.value.trim();
        if (event.key === "ArrowDown" && query.length >= MIN_CHARS) {
          clearTimeout(timer); // reopen at once rather than wait for the debounce
          lastQuery = query;
          fetchSuggestions(query);
        }
        return;
      }
      event.preventDefault();
      setActive(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter") {
      const list = items();
      if (open && active >= 0 && list[active]) {
        event.preventDefault();
        window.location.assign(list[active].href);
      } // otherwise the form submits: the results page
    } else if (event.key === "Escape") {
      if (open) {
        event.preventDefault();
        close();
      }
    }
  });

  // Keep focus in the box while clicking a suggestion, so blur does not hide it first.
  menu.addEventListener("mousedown", (event) => event.preventDefault());
  input.addEventListener("blur", close);
  input.addEventListener("focus", () => {
    if (input.value.trim().length >= MIN_CHARS && menu.childElementCount) {
      menu.classList.add("show");
      input.setAttribute("aria-expanded", "true");
    }
  });
}
