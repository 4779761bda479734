from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, object_list, per_page: int, count: int | None = None) -> Page:
    """Garbage `?page=` → first page; past the end → last page; never an exception."""
    paginator = Paginator(object_list, per_page)
    if count is not None:
        paginator.count = count  # a cached or denormalised count saves a COUNT(*)
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = 1
    number = max(1, min(number, paginator.num_pages))
    return paginator.page(number)
