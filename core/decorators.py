from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _


def json_endpoint(methods: tuple[str, ...] = ("POST",), login: bool = True) -> Callable:
    """For AJAX endpoints: JSON 405 for a wrong method, 401 when logged out, 404 when not found."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                response = JsonResponse({"error": _("method not allowed")}, status=405)
                response["Allow"] = ", ".join(methods)
                return response
            if login and not request.user.is_authenticated:
                return JsonResponse({"error": _("Log in first.")}, status=401)
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return JsonResponse({"error": _("not found")}, status=404)

        return wrapped

    return decorator


def wants_json(request: HttpRequest) -> bool:
    """fetch() callers say so (Accept: application/json or X-Requested-With); forms do not."""
    return request.headers.get(
        "x-requested-with"
    ) == "XMLHttpRequest" or "application/json" in request.headers.get("accept", "")


def form_or_json_endpoint(view: Callable) -> Callable:
    """For POST actions that a page's script calls (JSON answers) and a plain form can post
    too (redirects): 405 for other methods, 401 JSON or the login page when logged out."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        as_json = wants_json(request)
        if request.method != "POST":
            response = (
                JsonResponse({"error": _("method not allowed")}, status=405)
                if as_json
                else HttpResponseNotAllowed(["POST"])
            )
            response["Allow"] = "POST"
            return response
        if not request.user.is_authenticated:
            if as_json:
                return JsonResponse({"error": _("Log in first.")}, status=401)
            back = urlsplit(request.headers.get("referer", "")).path or "/"
            return redirect_to_login(back, redirect_field_name="continue")
        try:
            return view(request, *args, **kwargs)
        except Http404:
            if as_json:
                return JsonResponse({"error": _("not found")}, status=404)
            raise

    return wrapped


def public_page(view: Callable) -> Callable:
    """A page every anonymous reader gets alike (the lists, a question, a member's page): when
    this response is such a page, it tells nginx it may serve it to other anonymous readers for
    PUBLIC_PAGE_SECONDS (X-Accel-Expires; nginx keeps that header to itself). The page's live
    catch-up on load brings anything newer. deploy/nginx/common/public.conf never stores nor
    serves a cached page for a request with a session or messages cookie, keys pages without
    cookies but with the language inputs, and stores no response that sets a cookie."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        seconds = settings.PUBLIC_PAGE_SECONDS
        if (
            seconds > 0
            and request.method in ("GET", "HEAD")
            and response.status_code == 200
            and not request.user.is_authenticated
            and not response.cookies
            and not response.has_header("Cache-Control")
        ):
            response["X-Accel-Expires"] = str(seconds)
        return response

    wrapped.is_public_page = True  # its URLs must match core.public_paths (tested)
    return wrapped
