"""What the user typed → a query every backend can run safely.

Users type web-search style: words, "quoted phrases", -excluded words and `or`. The last plain
word is matched as a prefix (the user may not have finished typing it). Nothing the user types
ever reaches a full-text query language unquoted: words are reduced to letters and digits, and
each backend quotes them itself (FTS5 strings, tsquery lexemes) or hands the raw text to
PostgreSQL's `websearch_to_tsquery`, which never raises on bad syntax.
"""

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 200  # longer input is cut: nobody searches with a paragraph
MAX_TERMS = 12
MIN_PREFIX_CHARS = 2  # one-letter prefixes match half the index and help nobody

TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    negated: bool = False
    or_before: bool = False  # joined to the previous term with OR instead of AND
    prefix: bool = False  # the last word is a prefix


@dataclass(frozen=True)
class SearchQuery:
    raw: str
    terms: tuple[Term, ...] = ()
    # For PostgreSQL: the raw text before the prefix word, given to websearch_to_tsquery.
    head: str = ""
    prefix_word: str = ""
    prefix_or: bool = False

    @property
    def is_empty(self) -> bool:
        """Nothing positive to look for: no words, or only excluded ones."""
        return not any(not t.negated for t in self.terms)

    def fts5(self, column: str | None = None) -> str:
        """An FTS5 MATCH expression; every word is a quoted string, so it cannot be malformed."""
        positive: list[str] = []
        negative: list[str] = []
        for term in self.terms:
            text = '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")
            if term.negated:
                negative.append(text)
            elif term.or_before and positive:
                positive[-1] = f"({positive[-1]} OR {text})"
            else:
                positive.append(text)
        expr = " AND ".join(positive)
        if negative:
            expr = f"({expr}) NOT ({' OR '.join(negative)})"
        if column:
            expr = f"{{{column}}} : ({expr})"
        return expr


def parse_query(raw: str) -> SearchQuery:
    raw = (raw or "")[:MAX_QUERY_CHARS]
    terms: list[Term] = []
    pending_or = False
    last_plain_start = None  # where the last plain (prefixable) word starts in raw
    for match in TOKEN_RE.finditer(raw):
        if len(terms) >= MAX_TERMS:
            break
        if match.group(2) is not None:  # "a phrase"
            words = tuple(w.lower() for w in WORD_RE.findall(match.group(2)))
            negated, plain = match.group(1) == "-", False
        else:
            token = match.group(4)
            if token.lower() == "or" and not match.group(3):
                pending_or = bool(terms)
                continue
            words = tuple(w.lower() for w in WORD_RE.findall(token))
            negated, plain = match.group(3) == "-", True
        if not words:
            continue
        terms.append(Term(words=words, negated=negated, or_before=pending_or and not negated))
        pending_or = False
        last_plain_start = match.start() if plain and not negated else None

    if terms and last_plain_start is not None and len(terms[-1].words[-1]) >= MIN_PREFIX_CHARS:
        last = terms[-1]
        terms[-1] = Term(words=last.words, negated=False, or_before=last.or_before, prefix=True)
        head = raw[:last_plain_start]
        prefix_or = last.or_before
        if prefix_or:  # drop the trailing "or": the prefix part is OR-ed on separately
            head = re.sub(r"(?i)\bor\s*$", "", head.rstrip())
        if len(last.words) > 1:  # "foo-ba": the leading words go to websearch as usual
            head = f"{head} {' '.join(last.words[:-1])}"
            prefix_or = False
        return SearchQuery(
            raw=raw,
            terms=tuple(terms),
            head=head.strip(),
            prefix_word=last.words[-1],
            prefix_or=prefix_or,
        )
    return SearchQuery(raw=raw, terms=tuple(terms), head=raw.strip())
