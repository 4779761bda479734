"""Markdown → safe HTML: markdown-it-py with raw HTML off, then nh3 as the allow-list.

Rendered once, when a post is written (and by `manage.py render_posts` after a renderer change),
and stored beside its text: a page view never parses Markdown. A single text is bounded on the
way in: rendering stops after RENDER_BUDGET seconds of CPU time (not wall time: a busy
machine must not refuse ordinary posts) and the HTML may not exceed MAX_HTML_CHARS, so no text
a user can post costs more than that, once.
"""

import contextlib
import gc
import signal
import threading
import time
from collections.abc import Iterator
from functools import lru_cache

import nh3
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "ol": {"start"}}

# Ordinary posts render in well under 10 ms; pathological ones ("![" × 10,000) take seconds
# in markdown-it-py. 0.25 s refuses only the latter.
RENDER_BUDGET = 0.25
# 20,000 characters of ordinary Markdown make ~30 KB of HTML; a long autolink of emoji makes
# ~250 KB (every character percent-encoded twice, in href and text).
MAX_HTML_CHARS = 100_000


class MarkdownTooComplex(ValueError):
    """The text would take too long to render or make too much HTML; the message says which,
    in words a form can show."""


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "html": False renders any raw HTML in the source as text; validateLink drops javascript:.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


class _OutOfTime(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` of the process's CPU time (ITIMER_VIRTUAL and
    SIGVTALRM, in the main thread of a process, which is where gunicorn's sync workers run
    requests). Elsewhere the block runs to its end and the caller compares the time it took."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise _OutOfTime

    # A signal handler that runs inside a garbage-collector finalizer cannot raise into the
    # block (Python prints "Exception ignored" instead): no collection while the timer runs.
    collecting = gc.isenabled()
    gc.disable()
    previous = signal.signal(signal.SIGVTALRM, interrupt)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
        if collecting:
            gc.enable()


def _render(text: str) -> str:
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def render_markdown(text: str) -> str:
    """Rendered, sanitised HTML for a Markdown text, within the bounds above.

    Raises MarkdownTooComplex past RENDER_BUDGET seconds of CPU or MAX_HTML_CHARS of HTML.
    """
    started = time.thread_time()
    try:
        with _deadline(RENDER_BUDGET):
            html = _render(text or "")
    except _OutOfTime:
        html = None
    if html is None or time.thread_time() - started > RENDER_BUDGET:
        raise MarkdownTooComplex(
            _(
                "This text is too complex to format (deeply nested brackets, emphasis or "
                "images). Simplify its Markdown or put code in a code block."
            )
        )
    if len(html) > MAX_HTML_CHARS:
        raise MarkdownTooComplex(
            _("This text makes too much HTML when formatted (very long links?). Shorten it.")
        )
    return html


def render_markdown_or_plain(text: str) -> str:
    """For texts already stored (re-rendering, loading): the Markdown when it is within
    bounds, otherwise the text as escaped plain paragraphs, so nothing is lost."""
    try:
        return render_markdown(text)
    except MarkdownTooComplex:
        return linebreaks(escape(text or ""))


@lru_cache(maxsize=1)
def _comment_parser() -> MarkdownIt:
    # Inline code, links and autolinks only: no images, emphasis is harmless but headings,
    # lists and blocks make no sense in a one-paragraph remark.
    return MarkdownIt("zero", {"html": False}).enable(
        ["backticks", "link", "autolink", "emphasis", "escape"]
    )


def render_comment(text: str) -> str:
    """A comment's HTML: one inline paragraph with `code` and links, sanitised like posts.
    Comments are at most 600 characters, far below anything slow for the inline rules."""
    html = _comment_parser().renderInline(text or "")
    return nh3.clean(
        html,
        tags={"a", "code", "em", "strong"},
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
