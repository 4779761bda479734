"""Word diffs between revisions, with the standard library's difflib.

The result is a list of (kind, text) runs — "same", "added", "removed" — that a template
renders as plain, <ins> and <del> (escaping the text like any other user text).
"""

import difflib
import re

TOKEN_RE = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    a, b = TOKEN_RE.findall(old or ""), TOKEN_RE.findall(new or "")
    runs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(("same", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            runs.append(("removed", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            runs.append(("added", "".join(b[j1:j2])))
    return runs


def revision_diffs(revisions: list) -> list[dict]:
    """Newest first: each revision with its diff against the one before it (title, text and
    tags; revision 1 against nothing)."""
    ordered = sorted(revisions, key=lambda r: r.number)
    out = []
    previous = None
    for revision in ordered:
        before = previous or type(revision)(title="", text="", tags="")
        out.append(
            {
                "revision": revision,
                "title": word_diff(before.title, revision.title) if revision.title else [],
                "text": word_diff(before.text, revision.text),
                "tags": word_diff(before.tags, revision.tags)
                if revision.tags or before.tags
                else [],
            }
        )
        previous = revision
    return out[::-1]
