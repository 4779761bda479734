"""Live messages, built from the same template partials the question page renders.

Where an answer goes (its page and its index on that page) comes from qa.models (ANSWER_ORDER,
`Answer.position`): pages place what the message says and never re-sort.
"""

from datetime import datetime

from django.template.loader import render_to_string

from qa.models import Answer, Comment, Question

# One catch-up reply carries at most about this much answer HTML (answers can be ~100 KB each).
CATCH_UP_HTML_CHARS = 1_000_000


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
        "author": answer.author_id,
        "html": answer_html(answer),
    }


def edit_message(post: Question | Answer) -> dict:
    """A post's new body (title, text, tags, "edited …"), from the partial the page renders."""
    if isinstance(post, Question):
        post = Question.all_objects.prefetch_related("tags").get(pk=post.pk)
        html = render_to_string("qa/_question_body.html", {"question": post})
        return {
            "type": "edit",
            "question": post.pk,
            "target": "question",
            "id": post.pk,
            "title": post.title,
            "html": html,
        }
    html = render_to_string("qa/_answer_body.html", {"answer": post})
    return {
        "type": "edit",
        "question": post.question_id,
        "target": "answer",
        "id": post.pk,
        "html": html,
    }


def answer_deleted_message(answer: Answer) -> dict:
    count = Question.all_objects.values_list("answers_count", flat=True).get(pk=answer.question_id)
    return {
        "type": "answer_deleted",
        "question": answer.question_id,
        "answer": answer.pk,
        "answers_count": count,
        "answers_label": answers_label(count),
    }


def _comment_message(comment: Comment) -> dict:
    return {
        "type": "comment",
        "question": comment.question_id,
        "comment": comment.pk,
        "target": "answer" if comment.answer_id else "question",
        "id": comment.answer_id or comment.question_id,
        "html": render_to_string("qa/_comment.html", {"comment": comment}),
    }


def comment_message(comment_id: int) -> dict | None:
    comment = Comment.objects.visible().select_related("author__profile").filter(pk=comment_id)
    comment = comment.first()
    return None if comment is None else _comment_message(comment)


def changes_since(question: Question, since: datetime) -> list[dict]:
    """Edits, comments and deletions on a question's page since `since`, as the messages that
    were pushed for them (each is idempotent: a page may see one twice)."""
    out = []
    if question.edited_at and question.edited_at >= since:
        out.append(edit_message(question))
    for answer in question.answers.filter(edited_at__gte=since).select_related("question"):
        out.append(edit_message(answer))
    for answer in Answer.all_objects.filter(question=question, deleted_at__gte=since):
        out.append(answer_deleted_message(answer))
    comments = (
        Comment.objects.visible()
        .filter(question=question, created_at__gte=since)
        .select_related("author__profile")
        .order_by("created_at", "id")
    )
    out += [_comment_message(comment) for comment in comments]
    for pk in Comment.objects.filter(question=question, deleted_at__gte=since).values_list(
        "pk", flat=True
    ):
        out.append({"type": "comment_deleted", "question": question.pk, "comment": pk})
    return out


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
    messages, size = [], 0
    for n, answer in enumerate(answers[:limit], 1):
        answer.question = question
        messages.append(_answer_message(answer))
        size += len(messages[-1]["html"])
        if size > CATCH_UP_HTML_CHARS and n < len(answers):
            return messages, True  # a reply of bounded size; the page asks again from here
    return messages, more


# -- lists --------------------------------------------------------------------------------------
def question_card_html(question: Question) -> str:
    return render_to_string("qa/_question_card.html", {"q": question})


def question_message(question: Question) -> dict:
    """A new question, for the lists it belongs to: its card, from the partial the lists render.
    `question` comes with its author's profile and tags (Question.objects.with_cards())."""
    return {
        "type": "question",
        "id": question.pk,
        "tags": [tag.pk for tag in question.tags.all()],
        "html": question_card_html(question),
    }


def card_message(question: Question) -> dict:
    """A card's numbers (votes, answers), from the partial the card renders them with."""
    return {
        "type": "card",
        "id": question.pk,
        "rating": question.rating,
        "answers_count": question.answers_count,
        "html": render_to_string("qa/_card_counts.html", {"q": question}),
    }
