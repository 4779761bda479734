"""{% sidebar_column %}: the popular tags and best members cards, from the cache that cron
fills, nothing else.

No database access here, not even for avatars: the cached value carries the display name and
avatar URL. An empty or unreachable cache renders a quiet empty state.
"""

from django import template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from sidebar.cache import sidebar_read

register = template.Library()

# The column as rendered, per (language, refresh): every page of a worker shows the same one
# until cron writes the next value, so it is rendered once per refresh, not on every page
# (~3 ms of template work: a title with two plurals per tag and per member).
_rendered: dict[tuple, SafeString] = {}
_RENDERED_MAX = 8  # a few languages × the current and the previous refresh


@register.simple_tag
def sidebar_column() -> SafeString:
    """Both cards, from the memo above when this refresh was rendered in this language."""
    sidebar = sidebar_read()
    key = (translation.get_language(), sidebar.get("computed_at"))
    html = _rendered.get(key)
    if html is None:
        cards = {"window_months": sidebar.get("window_months")}
        html = mark_safe(  # noqa: S308 — our partials, which escape what they show
            render_to_string("sidebar/_popular_tags.html", {**cards, "tags": sidebar["tags"]})
            + render_to_string(
                "sidebar/_best_members.html", {**cards, "members": sidebar["members"]}
            )
        )
        if key[1] is not None:  # an empty sidebar (no refresh yet) is cheap and may change
            if len(_rendered) >= _RENDERED_MAX:
                _rendered.clear()
            _rendered[key] = html
    return html
