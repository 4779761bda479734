from django import template
from django.utils.http import urlencode

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    """The current URL with ?page= replaced, other query parameters kept."""
    params = context["request"].GET.copy()
    params["page"] = number
    return "?" + urlencode(sorted(params.items()))


@register.inclusion_tag("qa/_pagination.html", takes_context=True)
def pagination(context, page):
    paginator = page.paginator
    window = range(max(1, page.number - 2), min(paginator.num_pages, page.number + 2) + 1)
    return {"request": context["request"], "page": page, "window": window}
