// Live answers: new answers, votes and the correct mark arrive over EventSource from the comet
// server inside nginx (Nchan or push-stream). Resuming is ours, not the comet server's: after
// any error the EventSource is closed and a new one opened (so no Last-Event-ID is ever sent,
// see deploy/nginx/nchan.conf), and the page fetches what it missed from
// /question/<id>/live/?after=<highest answer id seen>. Every answer is shown once: by id.
import { addComment, fromPartial, pluralLabel, revealOwned, updateMoreButton } from "./owner.js";
import { setCorrect } from "./votes.js";

const root = document.getElementById("question-page");
if (root && root.dataset.subscribeUrl && "EventSource" in window) {
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

  // Messages with words (partials, labels) are in the language of whoever caused them; in
  // another language than this page's, the event is fetched in ours from the catch-up endpoint.
  const WORDED = new Set(["answer", "edit", "comment", "answer_deleted"]);
  const pageLang = document.documentElement.lang || "";

  function handle(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.lang && msg.lang !== pageLang && WORDED.has(msg.type)) { catchUp(); return; }
    if (msg.type === "answer") onAnswer(msg);
    else if (msg.type === "vote") onVote(msg);
    else if (msg.type === "correct") setCorrect(Number(msg.answer), msg.correct === true);
    else if (msg.type === "edit") onEdit(msg);
    else if (msg.type === "comment") onComment(msg);
    else if (msg.type === "comment_deleted") onCommentDeleted(msg);
    else if (msg.type === "answer_deleted") onAnswerDeleted(msg);
    else if (msg.type === "question_deleted") onQuestionDeleted(msg);
    // Too big for the comet server: the event is fetched from the catch-up endpoint instead.
    else if (msg.type === "fetch") catchUp();
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
          const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
          if (response.status === 404) onQuestionDeleted({ deleted: true });
          if (!response.ok) break;
          const body = await response.json();
          const messages = Array.isArray(body.messages) ? body.messages : [];
          messages.forEach(handle);
          if (Number.isInteger(body.since)) since = body.since;
          setCount(Number(body.answers_count), body.answers_label, true);
          if (body.more !== true) break;
        }
      } while (again);
    } catch {
      // The next reconnect catches up again.
    } finally {
      catching = false;
    }
  }

  let source = null;
  let delay = 1000;
  let timer = null;

  function connect() {
    timer = null;
    source = new EventSource(root.dataset.subscribeUrl);
    source.onopen = () => {
      delay = 1000;
      root.dataset.liveState = "open";
      // Answers posted between rendering and subscribing (or while disconnected).
      catchUp();
    };
    source.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      handle(msg);
    };
    source.onerror = () => {
      // Never let the browser reconnect by itself (it would send Last-Event-ID).
      source.close();
      root.dataset.liveState = "reconnecting";
      if (timer === null) {
        const wait = delay * (0.5 + Math.random()); // jitter: not every page at once
        delay = Math.min(delay * 2, 30000);
        timer = setTimeout(connect, wait);
      }
    };
  }

  window.addEventListener("pagehide", () => { if (source) source.close(); });
  root.dataset.liveState = "connecting";
  connect();
}
