from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: JSON for fetch() callers, a page that says what to do for forms."""
    if request.headers.get("x-requested-with") == "XMLHttpRequest" or "json" in request.headers.get(
        "accept", ""
    ):
        return JsonResponse({"error": "CSRF check failed; reload the page."}, status=403)
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
