"""What reputation allows, as presets an operator picks (REPUTATION_PRIVILEGES), as Apache
Answer does: `open` for a young community, `strict` with Stack Overflow's thresholds.

Staff are never refused; commenting on one's own posts is always allowed. A refusal is a
sentence that says the threshold, shown instead of a bare 403.
"""

from django.conf import settings

PRESETS: dict[str, dict[str, int]] = {
    "open": {"vote_up": 1, "vote_down": 1, "comment": 1, "edit": 2000},
    "strict": {"vote_up": 1, "vote_down": 125, "comment": 50, "edit": 2000},
}
WHAT = {
    "vote_up": "Voting up",
    "vote_down": "Voting down",
    "comment": "Commenting on other people's posts",
    "edit": "Editing other people's posts",
}


def threshold(action: str) -> int:
    return PRESETS[settings.REPUTATION_PRIVILEGES][action]


def privilege_refusal(user, action: str, post=None) -> str | None:
    """None when `user` may do `action` (on `post`), else why not."""
    if user.is_staff:
        return None
    if post is not None and action in ("comment", "edit") and post.author_id == user.pk:
        return None
    needed = threshold(action)
    have = user.profile.reputation_shown
    if have >= needed:
        return None
    return (
        f"{WHAT[action]} needs {needed:,} reputation; you have {have:,}. "
        "Reputation comes from upvotes on your questions and answers and from accepted answers."
    )
