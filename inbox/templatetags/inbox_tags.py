"""The navbar's inbox link (base.html): `{% now_ms %}` for its data-inbox-since."""

from django import template
from django.utils import timezone

register = template.Library()


@register.simple_tag
def now_ms() -> int:
    """Now, in the milliseconds live catch-ups count in."""
    return int(timezone.now().timestamp() * 1000)
