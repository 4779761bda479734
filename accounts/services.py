"""Changes to accounts that are more than a form save: deleting one, exporting its data."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from community.models import Flag
from qa.models import Answer, AnswerVote, Comment, Question, QuestionVote

from .models import Profile, Session

DELETED_PREFIX = "deleted-"


def account_delete(*, user: AbstractBaseUser) -> None:
    """Close an account for good, keeping what it wrote (Stack Overflow's way).

    The row stays, so questions, answers, comments and votes keep their author and the counts
    and ratings stay right; what identified the person goes: username (`deleted-<id>`), e-mail,
    names, password (unusable, so neither a login nor a reset mail can reopen it), display name
    and avatar. Inactive users are refused by every auth backend, so their other sessions end too.
    """
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(user=user)
        avatar = profile.avatar.name if profile.avatar else ""
        user.username = f"{DELETED_PREFIX}{user.pk}"
        user.email = ""
        user.first_name = user.last_name = ""
        user.is_active = False
        user.is_staff = user.is_superuser = False
        user.set_unusable_password()
        user.save()
        profile.display_name = ""
        profile.avatar = ""
        profile.deleted_at = timezone.now()
        profile.save(update_fields=["display_name", "avatar", "deleted_at"])
        Session.objects.filter(user=user).delete()  # logged out everywhere
        if avatar:
            storage = profile.avatar.storage
            transaction.on_commit(lambda: storage.delete(avatar))


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def account_export(*, user: AbstractBaseUser) -> dict:
    """Everything the member wrote and told us, as JSON-ready data (GDPR-style export)."""
    profile = user.profile
    questions = (
        Question.all_objects.filter(author=user)
        .order_by("created_at", "id")
        .prefetch_related("tags")
    )
    answers = Answer.all_objects.filter(author=user).order_by("created_at", "id")
    comments = Comment.objects.filter(author=user).order_by("created_at", "id")
    return {
        "profile": {
            "username": user.username,
            "email": user.email,
            "display_name": profile.display_name,
            "avatar": profile.avatar.url if profile.avatar else None,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "reputation": profile.reputation_shown,
        },
        "questions": [
            {
                "id": q.pk,
                "title": q.title,
                "text": q.text,
                "tags": [tag.name for tag in q.tags.all()],
                "created_at": _iso(q.created_at),
                "edited_at": _iso(q.edited_at),
                "deleted_at": _iso(q.deleted_at),
                "rating": q.rating,
                "answers_count": q.answers_count,
            }
            for q in questions.iterator(chunk_size=500)
        ],
        "answers": [
            {
                "id": a["id"],
                "question": a["question_id"],
                "text": a["text"],
                "created_at": _iso(a["created_at"]),
                "edited_at": _iso(a["edited_at"]),
                "deleted_at": _iso(a["deleted_at"]),
                "rating": a["rating"],
                "is_correct": a["is_correct"],
            }
            for a in answers.values(
                "id",
                "question_id",
                "text",
                "created_at",
                "edited_at",
                "deleted_at",
                "rating",
                "is_correct",
            ).iterator()
        ],
        "comments": [
            {
                "id": c["id"],
                "question": c["question_id"],
                "answer": c["answer_id"],
                "text": c["text"],
                "created_at": _iso(c["created_at"]),
                "deleted_at": _iso(c["deleted_at"]),
            }
            for c in comments.values(
                "id", "question_id", "answer_id", "text", "created_at", "deleted_at"
            ).iterator()
        ],
        "flags": [
            {
                "question": f["question_id"],
                "answer": f["answer_id"],
                "reason": f["reason"],
                "created_at": _iso(f["created_at"]),
                "outcome": f["outcome"],
            }
            for f in Flag.objects.filter(reporter=user)
            .order_by("created_at", "id")
            .values("question_id", "answer_id", "reason", "created_at", "outcome")
        ],
        "votes": {
            "questions": [
                {"question": pk, "value": value}
                for pk, value in QuestionVote.objects.filter(user=user)
                .order_by("question_id")
                .values_list("question_id", "value")
            ],
            "answers": [
                {"answer": pk, "value": value}
                for pk, value in AnswerVote.objects.filter(user=user)
                .order_by("answer_id")
                .values_list("answer_id", "value")
            ],
        },
    }
