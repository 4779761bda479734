from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse


def json_endpoint(methods: tuple[str, ...] = ("POST",), login: bool = True) -> Callable:
    """For AJAX endpoints: JSON 405 for a wrong method, JSON 401 when logged out."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                response = JsonResponse({"error": "method not allowed"}, status=405)
                response["Allow"] = ", ".join(methods)
                return response
            if login and not request.user.is_authenticated:
                return JsonResponse({"error": "log in first"}, status=401)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
