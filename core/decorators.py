from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse


def json_endpoint(methods: tuple[str, ...] = ("POST",), login: bool = True) -> Callable:
    """For AJAX endpoints: JSON 405 for a wrong method, 401 when logged out, 404 when not found."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                response = JsonResponse({"error": "method not allowed"}, status=405)
                response["Allow"] = ", ".join(methods)
                return response
            if login and not request.user.is_authenticated:
                return JsonResponse({"error": "log in first"}, status=401)
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return JsonResponse({"error": "not found"}, status=404)

        return wrapped

    return decorator
