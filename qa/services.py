"""Everything that changes Q&A data. Each function owns its transaction."""

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string

from live import publisher

from .markdown import render_markdown_or_plain
from .models import Answer, AnswerVote, Question, QuestionVote, Tag

logger = logging.getLogger(__name__)


def question_create(
    *, author: AbstractBaseUser, title: str, text: str, tags: list[str], text_html: str = ""
) -> Question:
    """`text_html`: the HTML the form rendered while validating (rendered here when empty)."""
    with transaction.atomic():
        question = Question.objects.create(
            author=author, title=title, text=text, text_html=text_html
        )
        tag_objs = []
        for name in tags:
            tag, _ = Tag.objects.get_or_create(name=name)
            tag_objs.append(tag)
        question.tags.set(tag_objs)
    return question


def answer_create(
    *, question: Question, author: AbstractBaseUser, text: str, text_html: str = ""
) -> Answer:
    with transaction.atomic():
        answer = Answer.objects.create(
            question=question, author=author, text=text, text_html=text_html
        )
        Question.objects.filter(pk=question.pk).update(answers_count=F("answers_count") + 1)
        transaction.on_commit(lambda: publisher.publish_answer(answer.pk))
        transaction.on_commit(lambda: answer_notify_author(answer))
    return answer


def answer_notify_author(answer: Answer) -> None:
    """E-mail the question's author; a mail failure never breaks answering."""
    question = answer.question
    author = question.author
    if author.pk == answer.author_id or not author.email:
        return
    context = {"answer": answer, "question": question, "site_url": settings.SITE_URL}
    try:
        send_mail(
            subject=f"New answer to “{question.title[:80]}”",
            message=render_to_string("qa/email/new_answer.txt", context),
            from_email=None,
            recipient_list=[author.email],
        )
    except Exception:  # noqa: BLE001 — any transport error is logged, the answer is saved
        logger.exception("could not e-mail %s about answer %s", author.pk, answer.pk)


def vote_set(*, user: AbstractBaseUser, target: Question | Answer, value: int) -> int:
    """Set the user's vote on a question or answer to +1, -1 or 0 (none); return the new rating.

    The vote row and the denormalised rating change in one transaction; the unique constraint
    stops a concurrent double vote, and the loser retries against the winner's row.
    """
    if value not in (1, -1, 0):
        raise ValueError("vote value must be 1, -1 or 0")
    kind = "question" if isinstance(target, Question) else "answer"
    vote_model = QuestionVote if kind == "question" else AnswerVote
    changed = False
    for _attempt in range(3):
        try:
            with transaction.atomic():
                vote = (
                    vote_model.objects.select_for_update()
                    .filter(user=user, **{kind: target})
                    .first()
                )
                old = vote.value if vote else 0
                if value == old:
                    break
                if vote and value == 0:
                    vote.delete()
                elif vote:
                    vote.value = value
                    vote.save(update_fields=["value"])
                else:
                    vote_model.objects.create(user=user, value=value, **{kind: target})
                type(target).objects.filter(pk=target.pk).update(rating=F("rating") + value - old)
            changed = True
            break
        except IntegrityError:
            continue
    rating = type(target).objects.values_list("rating", flat=True).get(pk=target.pk)
    if changed:  # a repeated click changes nothing: no message for every open page
        transaction.on_commit(lambda: publisher.publish_vote(kind, target, rating))
    return rating


def answer_mark_correct(*, answer: Answer, correct: bool) -> bool:
    """Mark (or unmark) the one correct answer of its question."""
    with transaction.atomic():
        # Lock the question row so two concurrent marks cannot both succeed.
        Question.objects.select_for_update().filter(pk=answer.question_id).first()
        if correct:
            Answer.objects.filter(question_id=answer.question_id, is_correct=True).exclude(
                pk=answer.pk
            ).update(is_correct=False)
        Answer.objects.filter(pk=answer.pk).update(is_correct=correct)
        answer.is_correct = correct
        transaction.on_commit(lambda: publisher.publish_correct(answer, correct))
    return correct


def posts_rerender(*, models=None, only_missing: bool = False, batch: int = 1000) -> dict:
    """Render the stored HTML of every question and answer again (after a renderer change),
    or only of those that have none; returns {model name: rows written}.

    Texts that are now out of bounds are kept as escaped plain text (never lost, never
    refused: they were accepted once). Batches of `batch` rows, by primary key.
    """
    written = {}
    for model in models or (Question, Answer):
        rows = model.objects.order_by("pk").only("pk", "text", "text_html")
        if only_missing:
            rows = rows.filter(text_html="")
        count, last = 0, 0
        while True:
            chunk = list(rows.filter(pk__gt=last)[:batch])
            if not chunk:
                break
            changed = []
            for post in chunk:
                html = render_markdown_or_plain(post.text)
                if html != post.text_html:
                    post.text_html = html
                    changed.append(post)
            model.objects.bulk_update(changed, ["text_html"])
            count += len(changed)
            last = chunk[-1].pk
        written[model.__name__] = count
    return written
