// Per-viewer bits of server partials that were rendered for nobody in particular (pushed live):
// the page says who is reading (data-viewer, data-staff, data-may-edit-others on
// #question-page); a link or form marked data-owner is shown to its owner and to moderators,
// .member-only to any member, .edit-link also to members who may edit others' posts.
export function revealOwned(scope) {
  const root = document.getElementById("question-page");
  if (!root || !scope) return;
  const viewer = root.dataset.viewer || "";
  const staff = root.dataset.staff === "1";
  scope.querySelectorAll("[data-owner]").forEach((el) => {
    if (viewer && (staff || el.dataset.owner === viewer)) el.classList.remove("d-none");
  });
  if (viewer) scope.querySelectorAll(".member-only").forEach((el) => el.classList.remove("d-none"));
  // Members past the reputation threshold may edit anyone's post (community/privileges.py).
  if (root.dataset.mayEditOthers === "1") {
    scope.querySelectorAll(".edit-link").forEach((el) => el.classList.remove("d-none"));
  }
}

// Words with a number come from the page in every plural form its language has, as data
// attributes (data-<prefix>-one, -few, -many, -other; Russian uses all four, English one and
// other): the page language's plural category of n picks one, "other" is the fallback.
const plurals = new Intl.PluralRules(document.documentElement.lang || "en");

export function pluralLabel(el, prefix, n) {
  const category = plurals.select(n);
  const key = `${prefix}${category[0].toUpperCase()}${category.slice(1)}`;
  return (el.dataset[key] || el.dataset[`${prefix}Other`] || "{n}").replace("{n}", String(n));
}

// "show 3 more comments" (data-show-more-one/-few/-many/-other).
export function updateMoreButton(box) {
  const button = box.querySelector(".comments-more");
  if (!button) return;
  const hidden = box.querySelectorAll(".comment-hidden").length;
  button.textContent = pluralLabel(box, "showMore", hidden);
  button.classList.toggle("d-none", hidden === 0);
}

export function fromPartial(html, selector) {
  // Our own partials, escaped by the template engine; a <template> parses them inertly.
  const template = document.createElement("template");
  template.innerHTML = html;
  const el = template.content.querySelector(selector);
  return el ? document.importNode(el, true) : null;
}

// Add a comment (server partial) to its post's list once, by id.
export function addComment(box, html) {
  const item = fromPartial(String(html || ""), "li.comment");
  if (!box || !item || document.getElementById(item.id)) return;
  box.querySelector(".comment-list").appendChild(item);
  revealOwned(item);
}
