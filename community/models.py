from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReputationEvent(models.Model):
    """One change of a member's reputation and why: what the user page's history lists.

    Written beside the F() update of Profile.reputation (community/reputation.py), in the vote's
    or the accept's transaction. Undoing writes an event of its own (`undone`), so the history
    reads as it happened. fill_db's generated votes have no history (only their totals).
    """

    REASONS = {
        "upvote": _("upvote"),
        "downvote": _("downvote"),
        "downvote_cast": _("you voted an answer down"),
        "accepted": _("answer accepted"),
        "accept_given": _("you accepted an answer"),
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reputation_events"
    )
    delta = models.SmallIntegerField()
    reason = models.CharField(max_length=16, choices=list(REASONS.items()))
    undone = models.BooleanField(default=False)
    question = models.ForeignKey(
        "qa.Question", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    answer = models.ForeignKey(
        "qa.Answer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="reputation_event_user_idx")
        ]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.reason} for {self.user_id}"

    @property
    def label(self) -> str:
        text = self.REASONS.get(self.reason, self.reason)
        return _("%(reason)s (undone)") % {"reason": text} if self.undone else str(text)


class Flag(models.Model):
    """A member's report that a post needs a moderator; kept after handling, as the record."""

    REASONS = {
        "spam": pgettext_lazy("flag reason", "spam"),
        "rude": pgettext_lazy("flag reason", "rude or abusive"),
        "improve": pgettext_lazy("flag reason", "needs improvement"),
    }
    OUTCOMES = {"deleted": _("post deleted"), "dismissed": _("dismissed")}

    question = models.ForeignKey(
        "qa.Question", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    answer = models.ForeignKey(
        "qa.Answer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(max_length=16, choices=list(REASONS.items()))
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(max_length=16, blank=True, choices=list(OUTCOMES.items()))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(question__isnull=True) ^ models.Q(answer__isnull=True),
                name="flag_of_one_post",
            ),
            # One flag per member and post, ever: a dismissed flag is not raised again.
            models.UniqueConstraint(fields=["reporter", "question"], name="one_question_flag"),
            models.UniqueConstraint(fields=["reporter", "answer"], name="one_answer_flag"),
        ]
        indexes = [
            # The queue: open flags only, a small part of the table.
            models.Index(
                fields=["created_at"],
                condition=models.Q(handled_at__isnull=True),
                name="flag_open_idx",
            ),
            models.Index(fields=["-handled_at"], name="flag_handled_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} flag on {self.post_key}"

    @property
    def post_key(self) -> str:
        return f"answer-{self.answer_id}" if self.answer_id else f"question-{self.question_id}"
