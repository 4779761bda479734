"""Everything that changes a member's inbox. Each function owns its transaction; the member's
open pages hear of it on their private channel after the commit (live.publisher)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Profile
from live import publisher

from .models import Notification


def notification_create(
    *,
    recipient_id: int,
    kind: str,
    actor_id: int,
    question_id: int,
    answer_id: int | None = None,
    comment_id: int | None = None,
) -> Notification | None:
    """Tell `recipient_id` that `actor_id` did something to their post; nothing for one's own
    doings or for a deleted account. Runs inside the caller's transaction when there is one."""
    if recipient_id == actor_id:
        return None
    with transaction.atomic():
        # The profile row is the lock that orders this against notifications_mark_read.
        if not Profile.objects.filter(user_id=recipient_id, deleted_at__isnull=True).update(
            inbox_unread=F("inbox_unread") + 1
        ):
            return None
        notification = Notification.objects.create(
            recipient_id=recipient_id,
            kind=kind,
            actor_id=actor_id,
            question_id=question_id,
            answer_id=answer_id,
            comment_id=comment_id,
        )
        transaction.on_commit(lambda: publisher.publish_inbox(recipient_id, notification.pk))
    return notification


def notifications_mark_read(*, user: AbstractBaseUser, up_to: int | None = None) -> int:
    """Mark the member's unread notifications read (those up to id `up_to`: the ones a page
    showed); returns how many. Their other tabs' badges drop live."""
    with transaction.atomic():
        # Locked first, so a notification added meanwhile is either counted below or adds its
        # one after this transaction: the stored count never drifts from the rows.
        Profile.objects.select_for_update().filter(user=user).values_list("pk").first()
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
        marked = (unread.filter(pk__lte=up_to) if up_to is not None else unread).update(
            read_at=timezone.now()
        )
        if marked:
            Profile.objects.filter(user=user).update(inbox_unread=unread.count())
            transaction.on_commit(lambda: publisher.publish_inbox(user.pk))
    return marked
