from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404

from qa.decorators import json_endpoint
from qa.models import Question

from .messages import answer_message

CATCH_UP_LIMIT = 100


@json_endpoint(methods=("GET",), login=False)
def question_live(request: HttpRequest, question_id: int) -> JsonResponse:
    """Answers newer than ?after=<answer id>, as the same messages the comet server pushes."""
    question = get_object_or_404(Question, pk=question_id)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return JsonResponse({"error": "after must be an answer id"}, status=400)
    ids = list(
        question.answers.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:CATCH_UP_LIMIT]
    )
    messages = [m for m in (answer_message(pk) for pk in ids) if m]
    return JsonResponse({"messages": messages, "answers_count": question.answers_count})
