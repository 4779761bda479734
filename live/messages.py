"""Live messages, built from the same template partials the question page renders.

Where an answer goes (its page and its index on that page) comes from qa.models (ANSWER_ORDER,
`Answer.position`): pages place what the message says and never re-sort.
"""

from django.template.loader import render_to_string

from qa.models import Answer, Question


def answer_html(answer: Answer) -> str:
    return render_to_string(
        "qa/_answer.html",
        {"answer": answer, "question": answer.question, "live": True},
    )


def answers_label(count: int) -> str:
    """ "1 answer", "61 answers": the heading above the answers, from its own partial."""
    return render_to_string("qa/_answers_label.html", {"count": count}).strip()


def _answer_message(answer: Answer) -> dict:
    count = answer.question.answers_count
    return {
        "type": "answer",
        "question": answer.question_id,
        "answer": answer.pk,
        "page": answer.page_number,
        "index": answer.index_on_page,
        "answers_count": count,
        "answers_label": answers_label(count),
        "html": answer_html(answer),
    }


def answer_message(answer_id: int) -> dict | None:
    """The message pushed when an answer is posted."""
    answer = (
        Answer.objects.with_position()
        .select_related("author__profile", "question")
        .filter(pk=answer_id)
        .first()
    )
    return None if answer is None else _answer_message(answer)


def answer_messages_after(question: Question, after: int, limit: int) -> tuple[list[dict], bool]:
    """The same messages for the first `limit` answers with an id above `after`, oldest first,
    and whether more are waiting. One query for the answers and their positions, however many.
    """
    answers = list(
        question.answers.filter(pk__gt=after)
        .with_position()
        .select_related("author__profile")
        .order_by("pk")[: limit + 1]
    )
    more = len(answers) > limit
    messages = []
    for answer in answers[:limit]:
        answer.question = question
        messages.append(_answer_message(answer))
    return messages, more
