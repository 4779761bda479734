"""Live messages, built from the same template partial the question page renders."""

from django.template.loader import render_to_string

from qa.models import ANSWERS_PER_PAGE, Answer, Question


def answer_html(answer: Answer) -> str:
    return render_to_string(
        "qa/_answer.html",
        {"answer": answer, "question": answer.question, "live": True},
    )


def _answer_message(answer: Answer, page: int) -> dict:
    return {
        "type": "answer",
        "question": answer.question_id,
        "answer": answer.pk,
        "page": page,
        "answers_count": answer.question.answers_count,
        "html": answer_html(answer),
    }


def answer_message(answer_id: int) -> dict | None:
    """The message pushed when an answer is posted."""
    answer = (
        Answer.objects.select_related("author__profile", "question").filter(pk=answer_id).first()
    )
    return None if answer is None else _answer_message(answer, answer.page_number())


def answer_messages_after(question: Question, after: int, limit: int) -> tuple[list[dict], bool]:
    """The same messages for the first `limit` answers with an id above `after`, oldest first,
    and whether more are waiting.

    For the catch-up endpoint: a constant number of queries however many answers it returns
    (the answers in one query, every answer's page from one read of the page order).
    """
    answers = list(
        question.answers.filter(pk__gt=after)
        .select_related("author__profile")
        .order_by("pk")[: limit + 1]
    )
    more = len(answers) > limit
    answers = answers[:limit]
    if not answers:
        return [], more
    order = question.answers.ordered().values_list("pk", flat=True)
    position = {pk: index for index, pk in enumerate(order)}
    messages = []
    for answer in answers:
        if answer.pk not in position:  # deleted between the two queries
            continue
        answer.question = question
        messages.append(_answer_message(answer, position[answer.pk] // ANSWERS_PER_PAGE + 1))
    return messages, more
