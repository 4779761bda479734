"""Running a SearchQuery against the database's full-text index, ranked title matches first.

Both backends order by: does the whole query match the title alone, then the relevance score
(ts_rank over weights A/B on PostgreSQL, bm25 with the title weighted ×10 on SQLite), then the
newest id. When more than CANDIDATES questions match, only the newest CANDIDATES are ranked and
shown: ranking costs a read of every candidate, and a two-letter prefix can match most of the
site. Snippets carry private-use marker characters (from FTS5's snippet() on SQLite, from
highlight.py on PostgreSQL); `marked` escapes everything and turns only balanced markers
into <mark>.
"""

import logging
import re
from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from qa.models import Question

from . import highlight
from .highlight import START, STOP
from .index import FTS_TABLE, search_config
from .query import SearchQuery

logger = logging.getLogger("search")

MARKER_RE = re.compile(f"([{START}{STOP}])")
SNIPPET_WORDS = 32
SUGGESTIONS = 8
# Ranking reads every candidate's index entry, so it is bounded: when more questions match,
# the newest CANDIDATES of them are ranked (a two-letter prefix can match most of the site).
CANDIDATES = 1000


def marked(text: str) -> SafeString:
    """Escape `text`, then wrap marked runs in <mark>; stray or nested markers are dropped."""
    out: list[str] = []
    open_ = False
    for part in MARKER_RE.split(text or ""):
        if part == START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif part == STOP:
            if open_:
                out.append("</mark>")
                open_ = False
        elif part:
            out.append(escape(part))
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # every piece of text above is escaped


@dataclass
class Highlight:
    title: str
    snippet: str


class _Postgres:
    def tsquery(self, query: SearchQuery) -> tuple[str, list]:
        """websearch_to_tsquery(head), AND (or OR) a prefix lexeme for the last word."""
        config = search_config()
        parts, params = [], []
        if query.head:
            parts.append("websearch_to_tsquery(%s::regconfig, %s)")
            params += [config, query.head]
        if query.prefix_word:
            # prefix_word is letters and digits only (see query.WORD_RE): nothing to escape.
            parts.append("to_tsquery(%s::regconfig, %s)")
            params += [config, f"'{query.prefix_word}':*"]
        joiner = " || " if query.prefix_or else " && "
        return f"({joiner.join(parts)})", params

    def ranked_ids(self, query: SearchQuery, limit: int, offset: int, titles_only: bool) -> list:
        # The tsquery is written out where it is used (not in a CTE): the planner folds it to a
        # constant and estimates how many rows match, which picks the plan for the window.
        tsquery, params = self.tsquery(query)
        if titles_only:
            sql = (
                "SELECT id FROM (SELECT id, search_title FROM qa_question "
                f"WHERE search_title @@ {tsquery} AND deleted_at IS NULL "
                "ORDER BY id DESC LIMIT %s) AS candidates "
                f"ORDER BY ts_rank(search_title, {tsquery}) DESC, id DESC LIMIT %s OFFSET %s"
            )
            return _column(sql, [*params, CANDIDATES, *params, limit, offset])
        sql = (
            "SELECT id FROM (SELECT id, search_title, search_vector FROM qa_question "
            f"WHERE search_vector @@ {tsquery} AND deleted_at IS NULL "
            "ORDER BY id DESC LIMIT %s) AS candidates "
            f"ORDER BY search_title @@ {tsquery} DESC, "
            f"ts_rank(search_vector, {tsquery}) DESC, id DESC LIMIT %s OFFSET %s"
        )
        return _column(sql, [*params, CANDIDATES, *params, *params, limit, offset])

    def count(self, query: SearchQuery, cap: int) -> int:
        tsquery, params = self.tsquery(query)
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM qa_question "
            f"WHERE search_vector @@ {tsquery} AND deleted_at IS NULL LIMIT %s) AS matches"
        )
        return _column(sql, [*params, cap])[0]

    def highlights(self, query: SearchQuery, questions: dict[int, Question]) -> dict:
        """In Python: ts_headline would drop `<div>`-like words as HTML tags."""
        return {
            pk: Highlight(
                highlight.highlight_all(q.title, query),
                highlight.snippet(q.text, query, SNIPPET_WORDS),
            )
            for pk, q in questions.items()
        }


class _Sqlite:
    # Deleted questions stay in the FTS index (their text is kept for an undelete) and are
    # left out here, through the small partial index question_deleted_idx.
    MATCH = (
        f"{FTS_TABLE} MATCH %s AND rowid NOT IN "
        "(SELECT id FROM qa_question WHERE deleted_at IS NOT NULL)"
    )

    def ranked_ids(self, query: SearchQuery, limit: int, offset: int, titles_only: bool) -> list:
        # The window: rowids at or above the CANDIDATES-th newest match (FTS5 walks a doclist
        # in rowid order and seeks to a rowid bound, so both steps are cheap).
        match, in_title = query.fts5(), query.fts5(column="title")
        if titles_only:
            match = in_title
        floor = _column(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {self.MATCH} ORDER BY rowid DESC "
            "LIMIT 1 OFFSET %s",
            [match, CANDIDATES - 1],
        )
        floor = floor[0] if floor else 0
        if titles_only:
            sql = (
                f"SELECT rowid FROM {FTS_TABLE} WHERE {self.MATCH} AND rowid >= %s "
                "ORDER BY rank, rowid DESC LIMIT %s OFFSET %s"
            )
            return _column(sql, [match, floor, limit, offset])
        sql = (
            f"SELECT rowid FROM {FTS_TABLE} WHERE {self.MATCH} AND rowid >= %s ORDER BY "
            f"rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {self.MATCH} AND rowid >= %s) "
            "DESC, rank, rowid DESC LIMIT %s OFFSET %s"
        )
        return _column(sql, [match, floor, in_title, floor, limit, offset])

    def count(self, query: SearchQuery, cap: int) -> int:
        sql = f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {self.MATCH} LIMIT %s)"
        return _column(sql, [query.fts5(), cap])[0]

    def highlights(self, query: SearchQuery, questions: dict[int, Question]) -> dict:
        # One `rowid = ?` lookup per question (FTS5 seeks to it); `rowid IN (…)` would walk
        # the whole doclist of a common word.
        one = (
            f"SELECT rowid, highlight({FTS_TABLE}, 0, %s, %s), "
            f"snippet({FTS_TABLE}, 1, %s, %s, '…', {SNIPPET_WORDS}) "
            f"FROM {FTS_TABLE} WHERE {self.MATCH} AND rowid = %s"
        )
        params = []
        for pk in questions:
            params += [START, STOP, START, STOP, query.fts5(), pk]
        rows = _rows(" UNION ALL ".join([one] * len(questions)), params)
        return {pk: Highlight(title, snippet) for pk, title, snippet in rows}


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _column(sql: str, params: list) -> list:
    return [row[0] for row in _rows(sql, params)]


def _backend() -> _Postgres | _Sqlite:
    if connection.vendor == "postgresql":
        return _Postgres()
    if connection.vendor == "sqlite":
        return _Sqlite()
    raise NotImplementedError(f"no full-text search for {connection.vendor}")


def _guarded(default):
    """A query the index rejects is logged and treated as "no results", never a 500."""

    def decorator(function):
        def wrapped(query: SearchQuery, *args, **kwargs):
            if query.is_empty:
                return default
            try:
                return function(query, *args, **kwargs)
            except DatabaseError:
                logger.exception("search failed for %r", query.raw)
                return default

        return wrapped

    return decorator


@_guarded(default=[])
def search_ids(
    query: SearchQuery, *, limit: int, offset: int = 0, titles_only: bool = False
) -> list[int]:
    return _backend().ranked_ids(query, limit, offset, titles_only)


@_guarded(default=0)
def search_count(query: SearchQuery, cap: int | None = None) -> int:
    """How many questions match, counted up to `cap` (default: one more than can be shown)."""
    return _backend().count(query, CANDIDATES + 1 if cap is None else cap)


@_guarded(default={})
def search_highlights(query: SearchQuery, questions: dict[int, Question]) -> dict[int, Highlight]:
    """Marked-up title and text snippet per question id."""
    return _backend().highlights(query, questions) if questions else {}


def suggestions(query: SearchQuery) -> list[dict]:
    """At most 8 {id, title, url} for the dropdown, best first.

    Only titles are searched: the dropdown shows titles, and a suggestion whose title does not
    contain what was typed looks like a mistake. (It is also much cheaper: titles are short.)
    """
    ids = search_ids(query, limit=SUGGESTIONS, titles_only=True)
    titles = dict(Question.objects.filter(pk__in=ids).values_list("pk", "title"))
    return [
        {"id": pk, "title": titles[pk], "url": reverse("question", args=[pk])}
        for pk in ids
        if pk in titles
    ]


class SearchResults:
    """Ranked questions for a query, countable and sliceable, so Paginator can page them."""

    def __init__(self, query: SearchQuery) -> None:
        self.query = query
        self._count: int | None = None

    def count(self) -> int:
        """How many results can be paged through: at most CANDIDATES."""
        return min(self.matches, CANDIDATES)

    @property
    def matches(self) -> int:
        """Matching questions, counted up to CANDIDATES + 1 (more means "over CANDIDATES")."""
        if self._count is None:
            self._count = search_count(self.query)
        return self._count

    @property
    def capped(self) -> bool:
        return self.matches > CANDIDATES

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[Question]:
        if not isinstance(key, slice):
            raise TypeError("SearchResults can only be sliced")
        start = key.start or 0
        ids = search_ids(self.query, limit=max(0, (key.stop or start) - start), offset=start)
        questions = Question.objects.with_cards().in_bulk(ids)
        marks = search_highlights(self.query, questions)
        page = []
        for pk in ids:
            question = questions.get(pk)
            if question is None:  # deleted between the two queries
                continue
            mark = marks.get(pk)
            question.title_html = marked(mark.title if mark else question.title)
            question.snippet_html = marked(mark.snippet if mark else question.text[:200])
            page.append(question)
        return page
