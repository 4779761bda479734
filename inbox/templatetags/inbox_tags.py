"""The navbar's inbox link: `{% inbox_link %}` for a logged-in member."""

from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("inbox/_link.html", takes_context=True)
def inbox_link(context) -> dict:
    user = context["user"]
    return {
        "unread": user.profile.inbox_unread,
        # The page's first catch-up toasts what came after it was rendered.
        "since": int(timezone.now().timestamp() * 1000),
    }
