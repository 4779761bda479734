// The CSRF token from Django's cookie, sent as X-CSRFToken on every AJAX POST.
export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function postForm(url, data) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
    body: new URLSearchParams(data),
    credentials: "same-origin",
  });
  let body = {};
  try { body = await response.json(); } catch { /* non-JSON error page */ }
  return { ok: response.ok, status: response.status, body };
}
