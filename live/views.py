from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404

from core.decorators import json_endpoint
from qa.models import Question

from .messages import answer_messages_after, answers_label

CATCH_UP_LIMIT = 100
MAX_ID = 2**63 - 1  # the largest BigAutoField value; a larger one would overflow the query


@json_endpoint(methods=("GET",), login=False)
def question_live(request: HttpRequest, question_id: int) -> JsonResponse:
    """Answers newer than ?after=<answer id>, as the same messages the comet server pushes;
    `more` says the page should ask again from the last of them."""
    question = get_object_or_404(Question, pk=question_id)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = -1
    if not 0 <= after <= MAX_ID:
        return JsonResponse({"error": "after must be an answer id"}, status=400)
    messages, more = answer_messages_after(question, after, CATCH_UP_LIMIT)
    return JsonResponse(
        {
            "messages": messages,
            "answers_count": question.answers_count,
            "answers_label": answers_label(question.answers_count),
            "more": more,
        }
    )
