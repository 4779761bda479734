"""Markdown → safe HTML: markdown-it-py with raw HTML off, then nh3 as the allow-list."""

from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "code": {"class"}, "ol": {"start"}}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "html": False renders any raw HTML in the source as text; validateLink drops javascript:.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


CACHED_TEXT_CHARS = 4000


def render_markdown(text: str) -> SafeString:
    """Rendered, sanitised HTML for a Markdown text.

    Typical posts are kept in a per-process LRU so hot question pages skip re-parsing; long ones
    are rendered each time, which bounds the cache at about 1024 × 4000 characters a worker.
    """
    text = text or ""
    return _render_cached(text) if len(text) <= CACHED_TEXT_CHARS else _render(text)


@lru_cache(maxsize=1024)
def _render_cached(text: str) -> SafeString:
    return _render(text)


def _render(text: str) -> SafeString:
    html = _parser().render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 — nh3 output is the allow-listed HTML
