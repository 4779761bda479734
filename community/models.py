from django.conf import settings
from django.db import models
from django.utils import timezone


class ReputationEvent(models.Model):
    """One change of a member's reputation and why: what the user page's history lists.

    Written beside the F() update of Profile.reputation (community/reputation.py), in the vote's
    or the accept's transaction. Undoing writes an event of its own (`undone`), so the history
    reads as it happened. fill_db's generated votes have no history (only their totals).
    """

    REASONS = {
        "upvote": "upvote",
        "downvote": "downvote",
        "downvote_cast": "you voted an answer down",
        "accepted": "answer accepted",
        "accept_given": "you accepted an answer",
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
        return f"{text} (undone)" if self.undone else text
