"""A member's inbox: what happened to their posts (an answer to their question, their answer
accepted, a comment on their post). The unread count is denormalised on the profile
(accounts.Profile.inbox_unread) so the navbar of every page shows it without a query."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qa.models import Answer, Comment, Question


class Notification(models.Model):
    class Kind(models.TextChoices):
        ANSWER = "answer", _("new answer")
        ACCEPTED = "accepted", _("answer accepted")
        COMMENT = "comment", _("new comment")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind)
    # Who did it; kept as "a deleted user" if they go.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    answer = models.ForeignKey(Answer, null=True, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The inbox page, newest first, and the catch-up (`id > after`).
            models.Index(fields=["recipient", "-id"], name="notification_recipient_idx"),
            # Recounting the unread ones when some are marked read.
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} on question {self.question_id}"

    def get_absolute_url(self) -> str:
        if self.answer_id:  # the answer (and its comments), on whichever page it is now
            return reverse("answer", args=[self.answer_id])
        if self.comment_id:
            return f"{self.question.get_absolute_url()}#comment-{self.comment_id}"
        return self.question.get_absolute_url()

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def gone(self) -> bool:
        """The post it is about was deleted since."""
        return any(
            post is not None and post.deleted_at is not None
            for post in (self.question, self.answer, self.comment)
        )
