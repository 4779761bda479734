"""Marking query words in a title or a snippet window, in Python.

Used on PostgreSQL, whose ts_headline treats `<div>`-like text as HTML tags and drops it (and
"How do I center a <div>?" is a real title). Returns text with START/STOP markers; the caller
escapes it with `engine.marked`.
"""

import unicodedata

from .query import WORD_RE, SearchQuery

START, STOP = "\ue000", "\ue001"


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _matcher(query: SearchQuery):
    exact = {_fold(w) for t in query.terms if not t.negated for w in t.words}
    prefix = _fold(query.prefix_word) if query.prefix_word else ""

    def matches(word: str) -> bool:
        folded = _fold(word)
        return folded in exact or bool(prefix and folded.startswith(prefix))

    return matches


def _mark(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in spans:
        out += [text[pos:start], START, text[start:end], STOP]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def highlight_all(text: str, query: SearchQuery) -> str:
    matches = _matcher(query)
    return _mark(text, [m.span() for m in WORD_RE.finditer(text) if matches(m.group())])


def snippet(text: str, query: SearchQuery, words: int = 32) -> str:
    """About `words` words of `text` around the first match, with "…" where it was cut."""
    matches = _matcher(query)
    tokens = list(WORD_RE.finditer(text))
    if not tokens:
        return text[:200]
    first = next((i for i, m in enumerate(tokens) if matches(m.group())), 0)
    lo = max(0, first - words // 4)
    hi = min(len(tokens), lo + words)
    lo = max(0, hi - words)
    start = tokens[lo].start() if lo else 0
    end = tokens[hi - 1].end() if hi < len(tokens) else len(text)
    window = tokens[lo:hi]
    spans = [(m.start() - start, m.end() - start) for m in window if matches(m.group())]
    body = _mark(text[start:end], spans)
    return ("…" if start else "") + body + ("…" if end < len(text) else "")
