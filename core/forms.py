"""What a view binds its form to."""

from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one: a bound form that says what is missing),
    None otherwise. `request.POST or None` would leave a POST with no fields unbound."""
    return request.POST if request.method == "POST" else None


def posted_files(request: HttpRequest) -> MultiValueDict | None:
    return request.FILES if request.method == "POST" else None
