from datetime import UTC, datetime

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.decorators import json_endpoint
from qa.models import Question

from .messages import answer_messages_after, answers_label, changes_since

CATCH_UP_LIMIT = 100
MAX_ID = 2**63 - 1  # the largest BigAutoField value; a larger one would overflow the query
# Changes are looked up by their time: a page asks from a little before it was rendered, so
# a change committed while the page was being rendered is sent (again) rather than missed.
SINCE_MARGIN_MS = 5000


def since_ms() -> int:
    """The `since` a page rendered now should start from (milliseconds since the epoch)."""
    return int(timezone.now().timestamp() * 1000) - SINCE_MARGIN_MS


def _int_param(request: HttpRequest, name: str, low: int, high: int) -> int | None:
    try:
        value = int(request.GET.get(name, "0"))
    except ValueError:
        return None
    return value if low <= value <= high else None


@json_endpoint(methods=("GET",), login=False)
def question_live(request: HttpRequest, question_id: int) -> JsonResponse:
    """What changed on a question page, as the same messages the comet server pushes: answers
    newer than ?after=<answer id> (`more`: ask again from the last of them), and edits,
    comments and deletions since ?since=<ms since the epoch> (`since`: the value to send
    next time)."""
    question = get_object_or_404(Question, pk=question_id)
    after = _int_param(request, "after", 0, MAX_ID)
    if after is None:
        return JsonResponse({"error": "after must be an answer id"}, status=400)
    since = _int_param(request, "since", 0, 253402300799999)  # up to the year 9999
    if since is None:
        return JsonResponse({"error": "since must be milliseconds since the epoch"}, status=400)
    next_since = since_ms()
    messages, more = answer_messages_after(question, after, CATCH_UP_LIMIT)
    if since:
        messages += changes_since(question, datetime.fromtimestamp(since / 1000, UTC))
    return JsonResponse(
        {
            "messages": messages,
            "answers_count": question.answers_count,
            "answers_label": answers_label(question.answers_count),
            "more": more,
            "since": next_since,
        }
    )
