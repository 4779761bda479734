"""{% live_attrs question %}: the data attributes by which a page's live.js finds its channel
and its catch-up endpoint. Every subscribe URL a page holds is written here, from live.channels.
"""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from live.channels import question_channel, subscribe_url

register = template.Library()


@register.simple_tag
def live_attrs(question) -> SafeString:
    catch_up = reverse("question_live", args=[question.pk])
    if settings.LIVE_BACKEND == "off":
        return format_html('data-live-url="{}"', catch_up)
    return format_html(
        'data-live-url="{}" data-subscribe-url="{}"',
        catch_up,
        subscribe_url(question_channel(question.pk)),
    )
