from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .redirects import local_path


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: JSON for fetch() callers, a page that says what to do for forms."""
    if request.headers.get("x-requested-with") == "XMLHttpRequest" or "json" in request.headers.get(
        "accept", ""
    ):
        return JsonResponse({"error": "CSRF check failed; reload the page."}, status=403)
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


@require_GET
@never_cache
def language(request: HttpRequest, code: str) -> HttpResponse:
    """The footer's language switcher: a link, `/language/<code>/?next=<this page>`. Sets the
    language cookie (what LocaleMiddleware reads first) and goes back to the page, only ever a
    path of ours.

    A link rather than Django's set_language form, which needs a CSRF token and so a csrftoken
    cookie on every page: anonymous pages set no cookie at all, so nginx may cache them
    (deploy/nginx/common/public.conf). A page elsewhere can switch a visitor's language with
    it, and nothing more; the links are rel=nofollow."""
    if code not in dict(settings.LANGUAGES):
        raise Http404("no such language")
    response = HttpResponseRedirect(local_path(request.GET.get("next"), request) or "/")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
