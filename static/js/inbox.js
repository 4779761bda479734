// The inbox, live: the navbar's unread count follows the member's private channel on every
// page (it rises when a notification comes, drops to zero in every tab once /inbox/ is
// opened), and each new notification shows a small toast with its link. The push carries
// only the count and the newest id; the toasts' words come from /inbox/live/ in this page's
// language (server partials). After every (re)connect the page asks /inbox/live/ what it
// missed: each notification is toasted once.
import { liveEnabled, on, onOpen } from "./live.js";
import { fromPartial } from "./owner.js";

const link = document.getElementById("inbox-link");
if (link && liveEnabled()) {
  startInbox(link);
}

function startInbox(link) {
  const badge = document.getElementById("inbox-count");
  const toasts = document.getElementById("toasts");
  const toastTemplate = document.getElementById("toast-template");
  let latest = null; // the newest notification id this page knows; null until the first answer
  let pushes = 0; // a catch-up's count is older than any push that came while it was asked
  const shown = new Set();

  function setUnread(count) {
    const n = Number(count);
    if (!Number.isInteger(n) || n < 0) return;
    badge.textContent = String(n);
    badge.hidden = n === 0;
  }

  function toast(item) {
    const id = Number(item.id);
    if (!Number.isInteger(id) || shown.has(id) || !toasts || !toastTemplate) return;
    const text = fromPartial(String(item.html || ""), ".notification-text");
    if (!text) return;
    shown.add(id);
    const el = toastTemplate.content.firstElementChild.cloneNode(true);
    el.dataset.notificationId = String(id);
    const box = el.querySelector(".toast-text");
    // The partial's sentence and its link, as the server rendered them.
    const holder = document.createElement("template");
    holder.innerHTML = String(item.html || "");
    box.append(document.importNode(holder.content, true));
    toasts.append(el);
    if (window.bootstrap?.Toast) {
      const t = new window.bootstrap.Toast(el, { delay: 8000 });
      el.addEventListener("hidden.bs.toast", () => el.remove());
      t.show();
    } else {
      el.classList.add("show");
    }
  }

  let fetching = false;
  let again = false;
  let failures = 0; // a failed ask is asked again a moment later (a busy or restarting server)
  async function catchUp() {
    if (fetching) { again = true; return; }
    fetching = true;
    let failed = true;
    try {
      do {
        again = false;
        const pushesBefore = pushes;
        const params = new URLSearchParams(
          latest === null ? { since: link.dataset.inboxSince || "0" } : { after: String(latest) },
        );
        const response = await fetch(`${link.dataset.inboxUrl}?${params}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) throw new Error(`inbox catch-up: ${response.status}`);
        const body = await response.json();
        const items = Array.isArray(body.notifications) ? body.notifications : [];
        items.forEach(toast);
        const newest = Math.max(Number(body.latest) || 0, ...items.map((i) => Number(i.id) || 0));
        latest = Math.max(latest || 0, newest);
        if (pushes === pushesBefore) setUnread(body.unread);
      } while (again);
      failed = false;
      failures = 0;
    } catch {
      // Asked again below; after that, the next (re)connect or push asks again.
    } finally {
      fetching = false;
    }
    if (failed && failures < 3) {
      failures += 1;
      setTimeout(catchUp, 1000 * failures);
    }
  }

  on("inbox", (msg) => {
    pushes += 1;
    setUnread(msg.unread);
    const id = Number(msg.latest);
    if (Number.isInteger(id) && id > 0 && (latest === null || id > latest)) catchUp();
  });
  onOpen(catchUp);
}
