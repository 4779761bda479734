"""Everything that changes Q&A data. Each function owns its transaction."""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from community.reputation import reputation_accept_changed, reputation_vote_changed
from core.counts import counts_invalidate
from inbox.models import Notification
from inbox.services import notification_create
from live import publisher

from . import tasks
from .markdown import render_comment, render_markdown_or_plain
from .models import (
    Answer,
    AnswerVote,
    Comment,
    Question,
    QuestionVote,
    Revision,
    Tag,
    question_tag_defaults,
)

logger = logging.getLogger(__name__)


def question_create(
    *, author: AbstractBaseUser, title: str, text: str, tags: list[str], text_html: str = ""
) -> Question:
    """`text_html`: the HTML the form rendered while validating (rendered here when empty)."""
    with transaction.atomic():
        question = Question.objects.create(
            author=author, title=title, text=text, text_html=text_html
        )
        question.tags.set(_tag_objects(tags), through_defaults=question_tag_defaults(question))
        # Its card to every list it belongs to (new, its tags, unanswered).
        transaction.on_commit(lambda: publisher.publish_new_question(question.pk))
    return question


def answer_create(
    *, question: Question, author: AbstractBaseUser, text: str, text_html: str = ""
) -> Answer:
    with transaction.atomic():
        answer = Answer.objects.create(
            question=question, author=author, text=text, text_html=text_html
        )
        Question.objects.filter(pk=question.pk).update(answers_count=F("answers_count") + 1)
        # Published now; if the comet server is away, the job worker publishes it again later.
        transaction.on_commit(lambda: tasks.answer_publish(answer.pk))
        # The e-mail leaves the request: queued for the worker (qa/tasks.py), retried there.
        transaction.on_commit(lambda: tasks.answer_notify_enqueue(answer.pk))
        # Its question's card on the lists shows one answer more.
        transaction.on_commit(lambda: publisher.publish_card(question.pk))
        # The asker's inbox (the e-mail above stays).
        notification_create(
            recipient_id=question.author_id,
            kind=Notification.Kind.ANSWER,
            actor_id=author.pk,
            question_id=question.pk,
            answer_id=answer.pk,
        )
    return answer


def _tag_objects(names: list[str]) -> list[Tag]:
    return [Tag.objects.get_or_create(name=name)[0] for name in names]


def _revision_kwargs(post: Question | Answer) -> dict:
    if isinstance(post, Question):
        return {"question": post}
    return {"answer": post}


def _revision_state(post: Question | Answer) -> dict:
    if isinstance(post, Question):
        names = " ".join(sorted(tag.name for tag in post.tags.all()))
        return {"title": post.title, "text": post.text, "tags": names}
    return {"text": post.text}


def _revision_add(post: Question | Answer, *, author, summary: str, state: dict) -> Revision:
    """Write the next revision of `post`; the first edit also writes revision 1, the post as
    it was created."""
    where = _revision_kwargs(post)
    last = Revision.objects.filter(**where).aggregate(n=Max("number"))["n"]
    if last is None:
        Revision.objects.create(
            **where,
            number=1,
            author_id=post.author_id,
            created_at=post.created_at,
            **_revision_state(post),
        )
        last = 1
    return Revision.objects.create(
        **where, number=last + 1, author=author, summary=summary, **state
    )


def question_edit(
    *,
    question: Question,
    editor: AbstractBaseUser,
    title: str,
    text: str,
    tags: list[str],
    text_html: str = "",
    summary: str = "",
) -> bool:
    """Save a new title, text and tags with a revision; False when nothing changed."""
    with transaction.atomic():
        question = Question.all_objects.select_for_update().get(pk=question.pk)
        state = {"title": title, "text": text, "tags": " ".join(sorted(tags))}
        if state == _revision_state(question):
            return False
        _revision_add(question, author=editor, summary=summary, state=state)
        question.title, question.text = title, text
        question.text_html = text_html or render_markdown_or_plain(text)
        question.edited_at = timezone.now()
        question.save(update_fields=["title", "text", "text_html", "edited_at"])
        # Counts follow (m2m_changed in models).
        question.tags.set(_tag_objects(tags), through_defaults=question_tag_defaults(question))
        transaction.on_commit(lambda: publisher.publish_edit(question))
    return True


def answer_edit(
    *, answer: Answer, editor: AbstractBaseUser, text: str, text_html: str = "", summary: str = ""
) -> bool:
    with transaction.atomic():
        answer = Answer.all_objects.select_for_update().get(pk=answer.pk)
        if text == answer.text:
            return False
        _revision_add(answer, author=editor, summary=summary, state={"text": text})
        answer.text = text
        answer.text_html = text_html or render_markdown_or_plain(text)
        answer.edited_at = timezone.now()
        answer.save(update_fields=["text", "text_html", "edited_at"])
        transaction.on_commit(lambda: publisher.publish_edit(answer))
    return True


def question_delete(*, question: Question, by: AbstractBaseUser, deleted: bool = True) -> None:
    """Soft-delete (or, with deleted=False, restore) a question; lists, counts and search
    leave it out at once, the sidebar at its next refresh."""
    with transaction.atomic():
        changed = Question.all_objects.filter(pk=question.pk, deleted_at__isnull=deleted).update(
            deleted_at=timezone.now() if deleted else None, deleted_by=by if deleted else None
        )
        if changed:
            counts_invalidate()
            transaction.on_commit(lambda: publisher.publish_question_deleted(question.pk, deleted))


def answer_delete(*, answer: Answer, by: AbstractBaseUser, deleted: bool = True) -> None:
    """Soft-delete (or restore) an answer and keep its question's answer count right."""
    with transaction.atomic():
        Question.all_objects.select_for_update().filter(pk=answer.question_id).first()
        changed = Answer.all_objects.filter(pk=answer.pk, deleted_at__isnull=deleted).update(
            deleted_at=timezone.now() if deleted else None, deleted_by=by if deleted else None
        )
        if changed:
            Question.all_objects.filter(pk=answer.question_id).update(
                answers_count=F("answers_count") + (-1 if deleted else 1)
            )
            if deleted:
                transaction.on_commit(lambda: publisher.publish_answer_deleted(answer))
            else:
                transaction.on_commit(lambda: publisher.publish_answer(answer.pk))
            transaction.on_commit(lambda: publisher.publish_card(answer.question_id))


def comment_create(*, post: Question | Answer, author: AbstractBaseUser, text: str) -> Comment:
    question_id = post.pk if isinstance(post, Question) else post.question_id
    answer = post if isinstance(post, Answer) else None
    with transaction.atomic():
        comment = Comment.objects.create(
            question_id=question_id,
            answer=answer,
            author=author,
            text=text,
            text_html=render_comment(text),
        )
        transaction.on_commit(lambda: publisher.publish_comment(comment.pk))
        notification_create(
            recipient_id=post.author_id,
            kind=Notification.Kind.COMMENT,
            actor_id=author.pk,
            question_id=question_id,
            answer_id=answer.pk if answer else None,
            comment_id=comment.pk,
        )
    return comment


def comment_delete(*, comment: Comment) -> None:
    with transaction.atomic():
        if Comment.objects.filter(pk=comment.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now()
        ):
            transaction.on_commit(lambda: publisher.publish_comment_deleted(comment))


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
                # Reputation (community/reputation.py), in the vote's transaction.
                reputation_vote_changed(voter=user, target=target, old=old, new=value)
            changed = True
            break
        except IntegrityError:
            continue
    rating = type(target).objects.values_list("rating", flat=True).get(pk=target.pk)
    if changed:  # a repeated click changes nothing: no message for every open page
        transaction.on_commit(lambda: publisher.publish_vote(kind, target, rating))
        if kind == "question":  # and the question's cards on the lists
            transaction.on_commit(lambda: publisher.publish_card(target.pk))
    return rating


def answer_mark_correct(*, answer: Answer, correct: bool) -> bool:
    """Mark (or unmark) the one correct answer of its question."""
    with transaction.atomic():
        # Lock the question row so two concurrent marks cannot both succeed.
        Question.objects.select_for_update().filter(pk=answer.question_id).first()
        marked = Answer.objects.filter(question_id=answer.question_id, is_correct=True)
        before = set(marked.values_list("pk", "author_id"))  # reputation, below
        if correct:
            Answer.objects.filter(question_id=answer.question_id, is_correct=True).exclude(
                pk=answer.pk
            ).update(is_correct=False)
        Answer.objects.filter(pk=answer.pk).update(is_correct=correct)
        answer.is_correct = correct
        # Reputation (community/reputation.py): +15 / +2 for an accept, undone with it.
        mine = (answer.pk, answer.author_id)
        asker_id = Question.all_objects.values_list("author_id", flat=True).get(
            pk=answer.question_id
        )
        reputation_accept_changed(
            question_author_id=asker_id,
            before=before,
            after={mine} if correct else before - {mine},
        )
        if correct and mine not in before:  # newly accepted: the answerer's inbox
            notification_create(
                recipient_id=answer.author_id,
                kind=Notification.Kind.ACCEPTED,
                actor_id=asker_id,
                question_id=answer.question_id,
                answer_id=answer.pk,
            )
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
