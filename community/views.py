"""Browse pages: unanswered questions, every tag, every member."""

import functools

from django.contrib.auth import get_user_model
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.decorators import public_page
from core.pagination import paginate
from live.channels import UNANSWERED
from qa.cards import question_cards
from qa.fragments import shared_parts_key
from qa.models import QUESTIONS_PER_PAGE
from qa.views import question_list_page

from .models import ReputationEvent
from .queries import (
    MEMBER_ORDERS,
    TagStat,
    member_counts,
    members,
    tags_matching,
    unanswered,
    unanswered_ids,
)

TAGS_PER_PAGE = 36
MEMBERS_PER_PAGE = 36
MAX_FILTER = 60


def _filter_text(request: HttpRequest) -> str:
    # NUL is no character a name can hold (and PostgreSQL refuses it in a query).
    return request.GET.get("q", "")[:MAX_FILTER].replace("\x00", "").strip()


def _is_fragment(request: HttpRequest) -> bool:
    """The filter box's script asks for the list alone (the same URL, so links stay right)."""
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


def _list_page(request: HttpRequest, template: str, fragment: str, context: dict) -> HttpResponse:
    response = render(request, fragment if _is_fragment(request) else template, context)
    patch_vary_headers(response, ["X-Requested-With"])
    return response


@public_page
@require_GET
def unanswered_list(request: HttpRequest) -> HttpResponse:
    key = shared_parts_key(request, "list:unanswered")

    def make_page() -> Page:
        # the cached ids are re-checked: a question answered since then drops out of its page
        rows = functools.partial(question_cards, unanswered())
        return paginate(request, unanswered_ids(), QUESTIONS_PER_PAGE, rows=rows)

    context = {
        "tab": "unanswered",
        "heading": _("Unanswered questions"),
        "live_channels": [UNANSWERED],
    }
    return question_list_page(request, key, make_page, context)


@require_GET
def tag_list(request: HttpRequest) -> HttpResponse:
    query = _filter_text(request)
    page = paginate(request, tags_matching(query), TAGS_PER_PAGE)
    page.object_list = [TagStat(*row) for row in page.object_list]
    context = {"page": page, "query": query}
    return _list_page(request, "community/tag_list.html", "community/_tag_list.html", context)


@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    query = _filter_text(request)
    order = request.GET.get("order", "")
    if order not in MEMBER_ORDERS:
        order = next(iter(MEMBER_ORDERS))
    page = paginate(request, members(order, query), MEMBERS_PER_PAGE)
    people = list(page.object_list)
    counts = member_counts([person.pk for person in people])
    for person in people:
        person.questions_total, person.answers_total = counts[person.pk]
    context = {"page": page, "people": people, "query": query, "order": order}
    return _list_page(request, "community/user_list.html", "community/_user_list.html", context)


EVENTS_PER_PAGE = 30


@require_GET
def reputation_history(request: HttpRequest, username: str) -> HttpResponse:
    """What earned (or cost) a member their reputation, newest first."""
    person = get_object_or_404(
        get_user_model().objects.select_related("profile"), username=username
    )
    events = (
        ReputationEvent.objects.filter(user=person)
        .select_related("question")
        .only(
            "delta",
            "reason",
            "undone",
            "created_at",
            "answer_id",
            "question_id",
            "question__title",
            "question__deleted_at",
        )
        .order_by("-created_at", "-id")
    )
    page = paginate(request, events, EVENTS_PER_PAGE)
    return render(request, "community/reputation_history.html", {"person": person, "page": page})
