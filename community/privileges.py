"""What reputation allows, as presets an operator picks (REPUTATION_PRIVILEGES), as Apache
Answer does: `open` for a young community, `strict` with Stack Overflow's thresholds.

Staff are never refused; commenting on one's own posts is always allowed. A refusal is a
sentence that says the threshold, shown instead of a bare 403.
"""

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PRESETS: dict[str, dict[str, int]] = {
    "open": {"vote_up": 1, "vote_down": 1, "comment": 1, "edit": 2000},
    "strict": {"vote_up": 1, "vote_down": 125, "comment": 50, "edit": 2000},
}
WHAT = {
    "vote_up": gettext_lazy("Voting up"),
    "vote_down": gettext_lazy("Voting down"),
    "comment": gettext_lazy("Commenting on other people's posts"),
    "edit": gettext_lazy("Editing other people's posts"),
}


def threshold(action: str) -> int:
    return PRESETS[settings.REPUTATION_PRIVILEGES][action]


def privilege_allowed(user, action: str, post=None) -> bool:
    """Whether `user` may do `action` (on `post`)."""
    if user.is_staff:
        return True
    if post is not None and action in ("comment", "edit") and post.author_id == user.pk:
        return True
    return user.profile.reputation_shown >= threshold(action)


def privilege_refusal(user, action: str, post=None) -> str | None:
    """None when `user` may do `action` (on `post`), else why not."""
    if privilege_allowed(user, action, post):
        return None
    needed = threshold(action)
    have = user.profile.reputation_shown
    return _(
        "%(what)s needs %(needed)s reputation; you have %(have)s. Reputation comes from "
        "upvotes on your questions and answers and from accepted answers."
    ) % {"what": WHAT[action], "needed": intcomma(needed), "have": intcomma(have)}
