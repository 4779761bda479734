"""Moderation: what a moderator does to many posts or to a member at once.

Every post goes through qa.services' own delete/undelete, so answer counts, cached list counts
and live pages stay right exactly as when a member deletes a post on the site.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet

from live import publisher
from qa.models import Answer, Comment, Question
from qa.services import answer_delete, comment_delete, question_delete


def posts_delete(*, posts: QuerySet, by: AbstractBaseUser, deleted: bool = True) -> int:
    """Soft-delete (or restore) questions, answers or comments; returns how many changed."""
    changed = 0
    for post in posts.filter(deleted_at__isnull=deleted).iterator(chunk_size=200):
        if isinstance(post, Question):
            question_delete(question=post, by=by, deleted=deleted)
        elif isinstance(post, Answer):
            answer_delete(answer=post, by=by, deleted=deleted)
        elif deleted:
            comment_delete(comment=post)
        else:
            comment_undelete(comment=post)
        changed += 1
    return changed


def comment_undelete(*, comment: Comment) -> None:
    with transaction.atomic():
        if Comment.objects.filter(pk=comment.pk, deleted_at__isnull=False).update(deleted_at=None):
            transaction.on_commit(lambda: publisher.publish_comment(comment.pk))


def user_ban(*, user: AbstractBaseUser, by: AbstractBaseUser) -> dict[str, int]:
    """Deactivate a spammer and hide everything they posted (undo: reactivate, then undelete
    their posts in the admin, filtered by author). Their sessions end: inactive users are
    refused by every auth backend."""
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(is_active=False)
        return {
            "questions": posts_delete(posts=Question.all_objects.filter(author=user), by=by),
            "answers": posts_delete(posts=Answer.all_objects.filter(author=user), by=by),
            "comments": posts_delete(posts=Comment.objects.filter(author=user), by=by),
        }


def flag_create(*, post: Question | Answer, reporter: AbstractBaseUser, reason: str):
    """Flag a post for the moderators; None when this member flagged it before."""
    from django.db import IntegrityError

    from .models import Flag

    where = {"answer": post} if isinstance(post, Answer) else {"question": post}
    try:
        with transaction.atomic():
            return Flag.objects.create(reporter=reporter, reason=reason, **where)
    except IntegrityError:
        return None


def flags_handle(*, post: Question | Answer, by: AbstractBaseUser, outcome: str) -> int:
    """Close every open flag of a post, deleting it (soft) when the outcome says so; the flags
    stay as the record (who handled them, when, how). Returns how many were closed."""
    from django.utils import timezone

    from .models import Flag

    where = {"answer": post} if isinstance(post, Answer) else {"question": post}
    with transaction.atomic():
        if outcome == "deleted":
            posts_delete(posts=type(post).all_objects.filter(pk=post.pk), by=by)
        return Flag.objects.filter(handled_at__isnull=True, **where).update(
            handled_at=timezone.now(), handled_by=by, outcome=outcome
        )
