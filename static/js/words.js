// Words come from the server, in data attributes (data-label-one, -few, -many, -other, with
// "{n}" for the number), so translations never touch a script. The plural category is the
// page language's (Intl.PluralRules: Russian has one, few, many and other).
const plurals = new Intl.PluralRules(document.documentElement.lang || "en");

export function countLabel(el, n) {
  if (!el) return String(n);
  const category = plurals.select(n);
  const key = `label${category.charAt(0).toUpperCase()}${category.slice(1)}`;
  const label = el.dataset[key] || el.dataset.labelOther || "{n}";
  return label.replace("{n}", String(n));
}
