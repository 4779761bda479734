"""{% popular_tags %} and {% best_members %}: they read the cache that cron fills, nothing else.

No database access here, not even for avatars: the cached value carries the display name and
avatar URL. An empty or unreachable cache renders a quiet empty state.
"""

from django import template

from sidebar.cache import sidebar_read

register = template.Library()


def _sidebar(context: template.Context) -> dict:
    """One cache read per request, shared by both tags."""
    request = context.get("request")
    if request is None:
        return sidebar_read()
    if not hasattr(request, "_sidebar"):
        request._sidebar = sidebar_read()
    return request._sidebar


@register.inclusion_tag("sidebar/_popular_tags.html", takes_context=True)
def popular_tags(context: template.Context) -> dict:
    sidebar = _sidebar(context)
    return {"tags": sidebar["tags"], "window_months": sidebar.get("window_months")}


@register.inclusion_tag("sidebar/_best_members.html", takes_context=True)
def best_members(context: template.Context) -> dict:
    sidebar = _sidebar(context)
    return {"members": sidebar["members"], "window_months": sidebar.get("window_months")}
