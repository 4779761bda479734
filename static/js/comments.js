// Comments (add, delete, "show more") and the confirmation before deleting a post. Every
// form here also works without this script (plain POST and a redirect back).
import { csrfToken, postForm } from "./csrf.js";
import { addComment, revealOwned, updateMoreButton } from "./owner.js";

function logInAgain() {
  window.location = `/login/?continue=${encodeURIComponent(location.pathname + location.search)}`;
}

revealOwned(document);

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (form.matches(".post-delete-form")) {
    if (!window.confirm(form.dataset.confirm || "Delete?")) { event.preventDefault(); return; }
    if (!form.querySelector("[name=csrfmiddlewaretoken]")) {
      // A partial pushed live carries no token: add the one from the cookie.
      const token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrfmiddlewaretoken";
      token.value = csrfToken();
      form.appendChild(token);
    }
    return;
  }
  if (form.matches(".comment-form")) {
    event.preventDefault();
    const input = form.querySelector("input[name=text]");
    const error = form.querySelector(".comment-error");
    const { ok, status, body } = await postForm(form.action, { text: input.value });
    if (status === 401) { logInAgain(); return; }
    if (!ok) { error.textContent = body.error || "Could not save the comment."; return; }
    error.textContent = "";
    input.value = "";
    addComment(form.closest(".comments"), body.html);
    return;
  }
  if (form.matches(".comment-delete-form")) {
    event.preventDefault();
    const { ok, status } = await postForm(form.action, {});
    if (status === 401) { logInAgain(); return; }
    if (ok) form.closest("li.comment")?.remove();
  }
});

document.addEventListener("click", (event) => {
  const more = event.target.closest(".comments-more");
  if (!more) return;
  const box = more.closest(".comments");
  box.querySelectorAll(".comment-hidden").forEach((el) => el.classList.remove("d-none", "comment-hidden"));
  updateMoreButton(box);
});
