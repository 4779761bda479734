"""Live messages, built from the same template partial the question page renders."""

from django.template.loader import render_to_string

from qa.models import Answer


def answer_html(answer: Answer) -> str:
    return render_to_string(
        "qa/_answer.html",
        {"answer": answer, "question": answer.question, "live": True},
    )


def answer_message(answer_id: int) -> dict | None:
    answer = (
        Answer.objects.select_related("author__profile", "question").filter(pk=answer_id).first()
    )
    if answer is None:
        return None
    return {
        "type": "answer",
        "question": answer.question_id,
        "answer": answer.pk,
        "page": answer.page_number(),
        "answers_count": answer.question.answers_count,
        "html": answer_html(answer),
    }
