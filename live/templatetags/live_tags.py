"""The data attributes by which a page's scripts find their live channels and endpoints. Every
subscribe URL a page holds is written here, from live.channels.

- `{% live_subscribe %}` on <body>: the page's one connection, for the public channels its view
  put in the context as `live_channels`, plus the member's own inbox channel when logged in.
- `{% live_attrs question %}` on the question page: its catch-up, presence and typing URLs.
"""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from live.channels import subscribe_url

register = template.Library()


@register.simple_tag(takes_context=True)
def live_subscribe(context) -> SafeString | str:
    if settings.LIVE_BACKEND == "off":
        return ""
    channels = context.get("live_channels") or []
    user = context.get("user")
    user_id = user.pk if user is not None and user.is_authenticated else None
    if not channels and user_id is None:
        return ""
    return format_html('data-live-subscribe="{}"', subscribe_url(channels, user_id))


@register.simple_tag
def live_attrs(question) -> SafeString:
    return format_html(
        'data-live-url="{}" data-presence-url="{}" data-typing-url="{}"',
        reverse("question_live", args=[question.pk]),
        reverse("question_presence", args=[question.pk]),
        reverse("question_typing", args=[question.pk]),
    )
