// The question page, live: new answers, votes, the correct mark, edits, comments, deletions
// and presence arrive over the page's one connection (live.js). After every (re)connect the
// page fetches what it missed from /question/<id>/live/?after=<highest answer id seen>&since=…
// Every answer is shown once: by id.
import { postForm } from "./csrf.js";
import { liveEnabled, on, onClose, onOpen } from "./live.js";
import { addComment, fromPartial, pluralLabel, revealOwned, updateMoreButton } from "./owner.js";
import { setCorrect } from "./votes.js";

const root = document.getElementById("question-page");
if (root && liveEnabled()) {
  startLive(root);
}

function startLive(root) {
  const page = Number(root.dataset.page) || 1;
  const numPages = Number(root.dataset.numPages) || 1;
  const onLastPage = page >= numPages;
  const answersBox = document.getElementById("answers");
  const heading = document.getElementById("answers-heading");
  const bar = document.getElementById("new-answers-bar");
  const barLink = document.getElementById("new-answers-link");

  const known = new Set(); // answers on this page or announced by the bar
  document.querySelectorAll("#answers .answer[data-answer-id]").forEach((el) => {
    known.add(Number(el.dataset.answerId));
  });
  let highest = Math.max(Number(root.dataset.lastAnswerId) || 0, 0, ...known);
  // Edits, comments and deletions are caught up by time (ms); the server says where to go on.
  let since = Number(root.dataset.since) || 0;
  const pending = []; // {id, page} of answers announced by the bar, in arrival order

  // A new-answer message only raises the count (a late one must not undo a newer one); a
  // deletion or a catch-up reply is the database's word and may lower it. The words are the
  // server's ("61 answers"), so a translation never touches this file.
  function setCount(n, label, authoritative = false) {
    if (!heading || !Number.isInteger(n)) return;
    if (!authoritative && n < Number(heading.dataset.count)) return;
    heading.dataset.count = String(n);
    if (typeof label === "string" && label) heading.textContent = label;
  }

  function fromServerPartial(html) {
    const article = fromPartial(html, "article.answer");
    if (article) revealOwned(article);
    return article;
  }

  function insertAnswer(article, index) {
    // The server says where the answer goes on its page; we only place it there.
    const siblings = answersBox.querySelectorAll(":scope > .answer");
    answersBox.insertBefore(article, siblings[index] || null);
    article.classList.add("live-new");
    article.addEventListener("animationend", () => article.classList.remove("live-new"), { once: true });
  }

  function showBar() {
    if (!bar || !barLink || pending.length === 0) return;
    const first = pending[0];
    const n = pending.length;
    barLink.textContent = pluralLabel(bar, "label", n);
    const url = new URL(window.location.href);
    url.searchParams.set("page", String(first.page));
    url.hash = `answer-${first.id}`;
    barLink.href = url.pathname + url.search + url.hash;
    bar.classList.remove("d-none");
  }

  function onAnswer(msg) {
    const id = Number(msg.answer);
    if (!Number.isInteger(id) || id <= 0) return;
    highest = Math.max(highest, id);
    setCount(Number(msg.answers_count), msg.answers_label);
    stopTyping(Number(msg.author)); // their answer is here: they are no longer writing it
    if (known.has(id) || document.getElementById(`answer-${id}`)) return;
    known.add(id);
    const target = Number(msg.page) || 1;
    if (onLastPage && target === page) {
      const article = fromServerPartial(String(msg.html || ""));
      if (article) {
        insertAnswer(article, Math.max(0, Number(msg.index) || 0));
        return;
      }
    }
    pending.push({ id, page: target });
    showBar();
  }

  function onVote(msg) {
    const id = Number(msg.id);
    if (!["question", "answer"].includes(msg.target) || !Number.isInteger(id)) return;
    document
      .querySelectorAll(`.vote[data-target="${msg.target}"][data-id="${id}"] [data-rating]`)
      .forEach((el) => { el.textContent = String(Number(msg.rating) || 0); });
  }

  // An edited post: its body (title, text, tags, "edited …") is replaced in place; the answer
  // box, its text and the scroll position are elsewhere and stay as they are.
  function onEdit(msg) {
    const id = Number(msg.id);
    if (!["question", "answer"].includes(msg.target) || !Number.isInteger(id)) return;
    const old = document.querySelector(`[data-post-body="${msg.target}-${id}"]`);
    const body = fromPartial(String(msg.html || ""), `[data-post-body="${msg.target}-${id}"]`);
    if (!old || !body) return;
    revealOwned(body);
    old.replaceWith(body);
    if (msg.target === "question" && typeof msg.title === "string") {
      document.title = document.title.replace(/^.*?( · [^·]*)$/, `${msg.title}$1`);
    }
  }

  function onComment(msg) {
    if (!["question", "answer"].includes(msg.target)) return;
    const box = document.querySelector(`[data-comments-for="${msg.target}-${Number(msg.id)}"]`);
    addComment(box, msg.html);
  }

  function onCommentDeleted(msg) {
    const item = document.getElementById(`comment-${Number(msg.comment)}`);
    const box = item?.closest(".comments");
    item?.remove();
    if (box) updateMoreButton(box);
  }

  function onAnswerDeleted(msg) {
    document.getElementById(`answer-${Number(msg.answer)}`)?.remove();
    setCount(Number(msg.answers_count), msg.answers_label, true);
  }

  function onQuestionDeleted(msg) {
    document.getElementById("deleted-live-banner")?.classList.toggle("d-none", msg.deleted !== true);
  }

  // The same handlers take the pushes and the catch-up replies (which carry the same messages).
  const byType = {
    answer: onAnswer,
    vote: onVote,
    correct: (msg) => setCorrect(Number(msg.answer), msg.correct === true),
    edit: onEdit,
    comment: onComment,
    comment_deleted: onCommentDeleted,
    answer_deleted: onAnswerDeleted,
    question_deleted: onQuestionDeleted,
    presence: showReaders,
    typing: onTyping,
  };
  // Messages with words (partials, labels) are in the language of whoever caused them; in
  // another language than this page's, the event is fetched in ours from the catch-up endpoint.
  const WORDED = new Set(["answer", "edit", "comment", "answer_deleted"]);
  const pageLang = document.documentElement.lang || "";
  // A catch-up reply's count is older than an answer or deletion pushed while it was asked.
  const COUNTED = new Set(["answer", "answer_deleted"]);
  let countPushes = 0;
  Object.entries(byType).forEach(([type, fn]) => {
    on(type, (msg) => {
      if (COUNTED.has(type)) countPushes += 1;
      if (msg.lang && msg.lang !== pageLang && WORDED.has(type)) catchUp();
      else fn(msg);
    });
  });
  function handle(msg) {
    if (msg && typeof msg === "object" && Object.hasOwn(byType, msg.type)) byType[msg.type](msg);
  }

  // Catch-up: one request at a time; asked again while running → run once more afterwards.
  let catching = false;
  let again = false;
  async function catchUp() {
    if (catching) { again = true; return; }
    catching = true;
    try {
      do {
        again = false;
        for (let rounds = 0; rounds < 20; rounds++) {
          const url = `${root.dataset.liveUrl}?after=${highest}&since=${since}`;
          const pushesBefore = countPushes;
          const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
          if (response.status === 404) onQuestionDeleted({ deleted: true });
          if (!response.ok) break;
          const body = await response.json();
          const messages = Array.isArray(body.messages) ? body.messages : [];
          messages.forEach(handle);
          if (Number.isInteger(body.since)) since = body.since;
          setCount(Number(body.answers_count), body.answers_label, countPushes === pushesBefore);
          if (body.more !== true) break;
        }
      } while (again);
    } catch {
      // The next reconnect catches up again.
    } finally {
      catching = false;
    }
  }

  // Presence. "N reading" is the comet server's own count of this question's subscribers:
  // /question/<id>/presence/ asks it and pushes it to every reader when it changed. A page asks
  // when it connects and when it leaves (after closing its connection), and now and then.
  const readers = document.getElementById("readers");
  let presenceTimer = null;
  // Every reading carries the time it was taken; an older one (an answer to our ask overtaken
  // by a push, two asks published in the other order than they read) never replaces a newer.
  let presenceAt = 0;
  async function askPresence(left = false) {
    if (!root.dataset.presenceUrl) return;
    try {
      const response = await fetch(`${root.dataset.presenceUrl}${left ? "?left=1" : ""}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        keepalive: left,
      });
      const body = response.ok && !left ? await response.json() : null;
      if (body) showReaders(body);
    } catch {
      // The next connect asks again.
    }
  }
  function showReaders(msg) {
    const n = Number(msg.readers);
    const at = Number(msg.at);
    if (!readers || !Number.isInteger(n) || n < 1 || !(at >= presenceAt)) return;
    presenceAt = at;
    readers.textContent = pluralLabel(readers, "label", n);
    readers.classList.remove("d-none");
    clearTimeout(presenceTimer);
    // A reader whose browser vanished without saying goodbye is counted out by the next ask.
    presenceTimer = setTimeout(askPresence, 120000 + Math.random() * 120000);
  }

  // "Alice is writing an answer…": members' typing pings (about one per 5 s each), shown until
  // 10 s after the last one or until their answer arrives; never this viewer's own.
  const typingBox = document.getElementById("typing");
  const typists = new Map(); // user id → {name, timer}
  function showTyping() {
    if (!typingBox) return;
    const names = [...typists.values()].map((t) => t.name);
    typingBox.textContent = names.length
      ? pluralLabel(typingBox, "label", names.length).replace("{u}", names.join(", "))
      : "";
    typingBox.classList.toggle("d-none", names.length === 0);
  }
  function stopTyping(id) {
    const typist = typists.get(id);
    if (!typist) return;
    clearTimeout(typist.timer);
    typists.delete(id);
    showTyping();
  }
  function onTyping(msg) {
    const id = Number(msg.user);
    if (!Number.isInteger(id) || id <= 0 || String(id) === root.dataset.viewer) return;
    clearTimeout(typists.get(id)?.timer);
    const timer = setTimeout(() => stopTyping(id), 10000);
    typists.set(id, { name: String(msg.name || ""), timer });
    showTyping();
  }
  const answerText = document.querySelector("#answer-form textarea[name=text]");
  let lastPing = 0;
  answerText?.addEventListener("input", () => {
    if (!root.dataset.typingUrl || Date.now() - lastPing < 5000) return;
    lastPing = Date.now();
    postForm(root.dataset.typingUrl, {}).catch(() => {});
  });

  onOpen(catchUp);
  onOpen(() => {
    askPresence();
    // The comet server counts a page's connection on each of its channels a moment after the
    // stream opens (Nchan's multi-channel subscriber, a private path's auth), later still on a
    // busy machine: ask again after a moment, and once more a little later.
    setTimeout(() => askPresence(), 1500);
    setTimeout(() => askPresence(), 4000);
  });
  onClose(() => askPresence(true));
}
