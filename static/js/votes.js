// AJAX votes and the "correct answer" mark. Ratings come from the JSON reply.
import { postForm } from "./csrf.js";

// The question and its answers are rendered the same for everybody (cached, and pushed live);
// the page says how this viewer voted on them (#question-page data-my-question-vote, 1 | -1 | 0,
// and data-my-votes, {"<answer id>": 1 | -1}).
export function markMyVote(box, value) {
  box.dataset.vote = String(value);
  box.querySelector(".vote-up")?.classList.toggle("active", value === 1);
  box.querySelector(".vote-down")?.classList.toggle("active", value === -1);
}

const page = document.getElementById("question-page");
if (page && Number(page.dataset.myQuestionVote)) {
  const box = document.querySelector('.vote[data-target="question"]');
  if (box) markMyVote(box, Number(page.dataset.myQuestionVote));
}
if (page && page.dataset.myVotes) {
  let mine = {};
  try { mine = JSON.parse(page.dataset.myVotes); } catch { /* none */ }
  for (const [id, value] of Object.entries(mine)) {
    const box = document.querySelector(`.vote[data-target="answer"][data-id="${Number(id)}"]`);
    if (box) markMyVote(box, Number(value));
  }
}

// A session that ran out: log in again and come back to this very page (?page= included).
function logInAgain() {
  window.location = `/login/?continue=${encodeURIComponent(location.pathname + location.search)}`;
}

function showError(el, message) {
  el.title = message;
  el.classList.add("text-danger");
  setTimeout(() => el.classList.remove("text-danger"), 1500);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest(".vote-btn");
  if (button) {
    const box = button.closest(".vote");
    const pressed = Number(button.dataset.value);
    const current = Number(box.dataset.vote || 0);
    const value = pressed === current ? 0 : pressed; // pressing the same arrow again cancels
    const { ok, status, body } = await postForm(box.dataset.voteUrl, { value });
    if (status === 401) { logInAgain(); return; }
    if (!ok) { showError(box, body.error || box.dataset.error || ""); return; }
    box.querySelector("[data-rating]").textContent = String(body.rating);
    markMyVote(box, body.vote);
    return;
  }
  const toggle = event.target.closest(".correct-toggle");
  if (toggle) {
    const article = toggle.closest(".answer");
    const want = !article.classList.contains("is-correct");
    const { ok, status, body } = await postForm(toggle.dataset.url, { correct: want ? "true" : "false" });
    if (status === 401) { logInAgain(); return; }
    if (!ok) { showError(toggle, body.error || toggle.dataset.error || ""); return; }
    setCorrect(Number(article.dataset.answerId), body.correct);
  }
});

export function setCorrect(answerId, correct) {
  document.querySelectorAll(".answer").forEach((article) => {
    const isThis = Number(article.dataset.answerId) === answerId;
    const on = isThis ? correct : (correct ? false : article.classList.contains("is-correct"));
    article.classList.toggle("is-correct", on);
    const toggle = article.querySelector(".correct-toggle");
    // The words come with the partial (data-label-on/off), not from this file.
    if (toggle) toggle.textContent = on ? toggle.dataset.labelOn : toggle.dataset.labelOff;
  });
}
