// Question lists, live: on the first page of new, tag and unanswered lists, questions asked
// since the page loaded wait behind a "N new questions — show" bar (as Stack Overflow does);
// "show" puts their cards (server partials) on top without a reload. The numbers on every card
// on screen (votes, answers) change live on every list, hot included. After a (re)connect the
// page asks /questions/live/ for the questions and card numbers it missed.
import { liveEnabled, on, onOpen } from "./live.js";
import { fromPartial, pluralLabel } from "./owner.js";

const root = document.getElementById("question-list");
if (root && root.dataset.channel && liveEnabled()) {
  startList(root);
}

function startList(root) {
  const cardsBox = document.getElementById("question-cards");
  const bar = document.getElementById("new-questions-bar");
  const barLink = document.getElementById("new-questions-link");
  // Only the first page of a newest-first list takes new questions; the hot order stays.
  const takesNew = root.dataset.list !== "hot" && Number(root.dataset.page) === 1;
  const tagId = root.dataset.channel.startsWith("tag-") ? Number(root.dataset.channel.slice(4)) : null;
  // The newest question the catch-up has brought (or the page had): the next catch-up asks for
  // what came after it. Pushes do not move it: a question pushed after a reconnect must not
  // make the catch-up skip one asked while the page was disconnected.
  let caughtUp = Number(root.dataset.after) || 0;
  const pending = new Map(); // question id → card element

  function seen(id) {
    return pending.has(id) || document.getElementById(`question-${id}`) !== null;
  }

  function onQuestion(msg) {
    const id = Number(msg.id);
    if (!takesNew || !Number.isInteger(id) || id <= 0 || seen(id)) return;
    // A tag's list takes only its questions (its channel carries no others; be sure anyway).
    if (tagId !== null && !(Array.isArray(msg.tags) && msg.tags.map(Number).includes(tagId))) return;
    const card = fromPartial(String(msg.html || ""), "article.question-card");
    if (!card) return;
    pending.set(id, card);
    barLink.textContent = pluralLabel(bar, "label", pending.size);
    bar.classList.remove("d-none");
  }

  function showPending(event) {
    event.preventDefault();
    document.getElementById("no-questions")?.remove();
    // Newest on top, whatever order they arrived in (a push may overtake a catch-up reply).
    [...pending.entries()].sort(([a], [b]) => a - b).forEach(([, card]) => {
      card.classList.add("live-new");
      cardsBox.prepend(card);
    });
    pending.clear();
    bar.classList.add("d-none");
  }
  barLink.addEventListener("click", showPending);

  function onCard(msg) {
    const id = Number(msg.id);
    if (!Number.isInteger(id)) return;
    const counts = fromPartial(String(msg.html || ""), `[data-card-counts="${id}"]`);
    if (!counts) return;
    // The card on screen, and a card waiting behind the bar.
    const cards = [document.getElementById(`question-${id}`), pending.get(id)];
    for (const card of cards) {
      const old = card?.querySelector(`[data-card-counts="${id}"]`);
      if (old) old.replaceWith(counts.cloneNode(true));
    }
  }

  // A card's words are in the language of whoever caused the message; in another language
  // than this page's, the page fetches it in its own from the catch-up endpoint.
  const pageLang = document.documentElement.lang || "";
  const inOurWords = (fn) => (msg) => (msg.lang && msg.lang !== pageLang ? catchUp() : fn(msg));
  // A catch-up reply's numbers for a card are older than a push for that card that came
  // while it was asked: they are not applied then.
  const cardPushes = new Map(); // question id → card pushes so far
  on("question", inOurWords(onQuestion));
  on(
    "card",
    inOurWords((msg) => {
      const id = Number(msg.id);
      cardPushes.set(id, (cardPushes.get(id) || 0) + 1);
      onCard(msg);
    }),
  );

  let catching = false;
  let again = false;
  async function catchUp() {
    if (catching) { again = true; return; }
    catching = true;
    let rounds = 0;
    try {
      do {
        again = false;
        const ids = [...cardsBox.querySelectorAll("article.question-card")]
          .map((el) => Number(el.id.replace("question-", "")))
          .filter((id) => Number.isInteger(id) && id > 0);
        const params = new URLSearchParams({
          channel: root.dataset.channel,
          // Not the first page: no new questions, only the numbers of the cards shown.
          after: String(takesNew ? caughtUp : "9223372036854775807"),
          cards: ids.join(","),
        });
        const pushesBefore = new Map(cardPushes);
        const response = await fetch(`${root.dataset.catchUpUrl}?${params}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) break;
        const body = await response.json();
        const messages = Array.isArray(body.messages) ? body.messages : [];
        messages.forEach(onQuestion);
        messages.forEach((msg) => { caughtUp = Math.max(caughtUp, Number(msg.id) || 0); });
        (Array.isArray(body.cards) ? body.cards : [])
          .filter((card) => cardPushes.get(Number(card.id)) === pushesBefore.get(Number(card.id)))
          .forEach(onCard);
        if (body.more === true && ++rounds < 10) again = true;
      } while (again);
    } catch {
      // The next reconnect catches up again.
    } finally {
      catching = false;
    }
  }
  onOpen(catchUp);
}
