// Comments (add, delete, "show more") and the confirmation before deleting a post. A post's
// "add a comment" opens the page's one comment form (#comment-form-template) under it.
import { csrfToken, postForm } from "./csrf.js";
import { addComment, revealOwned, updateMoreButton } from "./owner.js";

function logInAgain() {
  window.location = `/login/?continue=${encodeURIComponent(location.pathname + location.search)}`;
}

revealOwned(document);

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (form.matches(".post-delete-form")) {
    if (!window.confirm(form.dataset.confirm || "?")) { event.preventDefault(); return; }
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
    if (!ok) { error.textContent = body.error || form.dataset.error || ""; return; }
    error.textContent = "";
    input.value = "";
    addComment(form.closest(".comments"), body.html);
    return;
  }
});

function openCommentForm(button) {
  const box = button.closest(".comments");
  let form = box.querySelector(".comment-form");
  if (!form) {
    const template = document.getElementById("comment-form-template");
    if (!template) return;
    form = template.content.querySelector("form").cloneNode(true);
    form.action = button.dataset.url;
    box.appendChild(form);
  }
  button.classList.add("d-none");
  form.querySelector("input[name=text]").focus();
}

document.addEventListener("click", async (event) => {
  const add = event.target.closest(".comment-add");
  if (add) { openCommentForm(add); return; }
  const remove = event.target.closest(".comment-delete");
  if (remove) {
    const { ok, status } = await postForm(remove.dataset.url, {});
    if (status === 401) { logInAgain(); return; }
    if (ok) remove.closest("li.comment")?.remove();
    return;
  }
  const more = event.target.closest(".comments-more");
  if (!more) return;
  const box = more.closest(".comments");
  box.querySelectorAll(".comment-hidden").forEach((el) => el.classList.remove("d-none", "comment-hidden"));
  updateMoreButton(box);
});
