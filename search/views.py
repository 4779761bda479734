from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.decorators import json_endpoint
from core.pagination import paginate
from qa.models import QUESTIONS_PER_PAGE

from . import engine
from .engine import SearchResults, suggestions
from .query import parse_query


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    query = parse_query(raw)
    results = SearchResults(query)
    page = paginate(request, results, QUESTIONS_PER_PAGE)
    if not raw.strip():
        message = _("Type a few words to search questions by title and text.")
    elif query.is_empty:
        message = _("Nothing to search for: use some words (letters or digits).")
    elif not page.paginator.count:
        message = _("No questions match your search.")
    elif results.capped:
        message = _(
            "More than %(n)s questions match: these are the best of the newest %(n)s. Add a "
            "word or finish the last one to narrow it down."
        ) % {"n": intcomma(engine.CANDIDATES)}
    else:
        message = ""
    return render(
        request,
        "search/results.html",
        {"page": page, "search_query": query.raw, "message": message, "capped": results.capped},
    )


@json_endpoint(methods=("GET", "HEAD"), login=False)
def suggest(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"results": suggestions(parse_query(request.GET.get("q", "")))})
