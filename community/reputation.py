"""Reputation as on Stack Overflow, kept on Profile.reputation.

+5 for an upvote on your question, +10 on your answer, −2 for a downvote received, −1 for
casting a downvote on an answer, +15 when your answer is accepted and +2 to the one who accepts
(nothing for accepting your own answer). Undoing a vote or an accept undoes its reputation.
The stored value is the exact sum starting from 1 (shown never below 1), so every change can be
undone and `reputation_recompute` can check it against the votes.

qa.services calls the two *_changed functions inside the transaction that changes the vote or
the mark, after locking it, so concurrent votes add up exactly (F() updates, rows locked in id
order so two transactions never wait on each other in a cycle).
"""

from collections import defaultdict

from django.db.models import Count, F, Q

from accounts.models import Profile

QUESTION_UPVOTE = 5
ANSWER_UPVOTE = 10
DOWNVOTE_RECEIVED = -2
ANSWER_DOWNVOTE_CAST = -1
ACCEPTED = 15
ACCEPTER = 2


Effect = list[tuple[int, int, str]]  # (user id, delta, reason)


def _vote_effect(kind: str, author_id: int, voter_id: int, value: int) -> Effect:
    if value == 1:
        return [(author_id, QUESTION_UPVOTE if kind == "question" else ANSWER_UPVOTE, "upvote")]
    if value == -1:
        effect = [(author_id, DOWNVOTE_RECEIVED, "downvote")]
        if kind == "answer":
            effect.append((voter_id, ANSWER_DOWNVOTE_CAST, "downvote_cast"))
        return effect
    return []


def _apply(undone: Effect, done: Effect, *, question_id: int, answer_id: int | None) -> None:
    """Update the profiles (by F(), in user id order) and write the history's events."""
    from .models import ReputationEvent

    deltas: dict[int, int] = defaultdict(int)
    events = []
    for effect, sign in ((undone, -1), (done, 1)):
        for user_id, delta, reason in effect:
            deltas[user_id] += sign * delta
            events.append(
                ReputationEvent(
                    user_id=user_id,
                    delta=sign * delta,
                    reason=reason,
                    undone=sign < 0,
                    question_id=question_id,
                    answer_id=answer_id,
                )
            )
    for user_id in sorted(deltas):
        if deltas[user_id]:
            Profile.objects.filter(user_id=user_id).update(
                reputation=F("reputation") + deltas[user_id]
            )
    ReputationEvent.objects.bulk_create(events)


def reputation_vote_changed(*, voter, target, old: int, new: int) -> None:
    """A vote on `target` (a Question or an Answer) went from `old` to `new` (each 1, -1, 0)."""
    is_question = target._meta.model_name == "question"
    kind = "question" if is_question else "answer"
    _apply(
        _vote_effect(kind, target.author_id, voter.pk, old),
        _vote_effect(kind, target.author_id, voter.pk, new),
        question_id=target.pk if is_question else target.question_id,
        answer_id=None if is_question else target.pk,
    )


def reputation_accept_changed(
    *, question_author_id: int, before: set[tuple[int, int]], after: set[tuple[int, int]]
) -> None:
    """The accepted answers of a question went from `before` to `after`: sets of
    (answer id, answer author id), at most one each."""
    from qa.models import Answer

    for answers, undo in ((before - after, True), (after - before, False)):
        for answer_id, author_id in answers:
            if author_id == question_author_id:
                continue  # accepting one's own answer earns nothing
            effect = [
                (author_id, ACCEPTED, "accepted"),
                (question_author_id, ACCEPTER, "accept_given"),
            ]
            question_id = Answer.all_objects.values_list("question_id", flat=True).get(pk=answer_id)
            _apply(
                effect if undo else [],
                [] if undo else effect,
                question_id=question_id,
                answer_id=answer_id,
            )


def reputation_expected() -> dict[int, int]:
    """Every member's reputation computed from scratch from the votes and accepted answers
    (deleted posts included, as the incremental changes keep them)."""
    from qa.models import Answer, AnswerVote, QuestionVote

    totals: dict[int, int] = defaultdict(lambda: 1)
    for model, post, up in (
        (QuestionVote, "question", QUESTION_UPVOTE),
        (AnswerVote, "answer", ANSWER_UPVOTE),
    ):
        rows = (
            model.objects.order_by()
            .values(f"{post}__author_id")
            .annotate(ups=Count("id", filter=Q(value=1)), downs=Count("id", filter=Q(value=-1)))
            .values_list(f"{post}__author_id", "ups", "downs")
        )
        for author_id, ups, downs in rows:
            totals[author_id] += ups * up + downs * DOWNVOTE_RECEIVED
    cast = (
        AnswerVote.objects.filter(value=-1)
        .order_by()
        .values("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    for user_id, n in cast:
        totals[user_id] += n * ANSWER_DOWNVOTE_CAST
    accepted = (
        Answer.all_objects.filter(is_correct=True)
        .exclude(author_id=F("question__author_id"))
        .values_list("author_id", "question__author_id")
    )
    for author_id, accepter_id in accepted.iterator(chunk_size=5000):
        totals[author_id] += ACCEPTED
        totals[accepter_id] += ACCEPTER
    return totals


def reputation_recompute(*, fix: bool = True) -> tuple[int, int]:
    """Compare every profile with reputation_expected(); with `fix`, write the differences.
    Returns (members, how many differed)."""
    expected = reputation_expected()
    stored = Profile.objects.order_by("pk").values_list("pk", "user_id", "reputation")
    wrong = []
    members = 0
    for pk, user_id, reputation in stored.iterator(chunk_size=5000):
        members += 1
        value = expected.get(user_id, 1)
        if reputation != value:
            wrong.append(Profile(pk=pk, reputation=value))
    if fix and wrong:
        Profile.objects.bulk_update(wrong, ["reputation"], batch_size=1000)
    return members, len(wrong)
