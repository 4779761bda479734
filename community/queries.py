"""What the browse pages read: unanswered questions, tag statistics, the member directory."""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.counts import GENERATION_KEY
from qa.models import Answer, Question, Tag

User = get_user_model()

TAG_STATS_TTL = 60  # seconds; a question created, deleted or re-tagged refreshes them sooner
WEEK = timedelta(days=7)


UNANSWERED_MAX = 10_000  # newest unanswered questions listed (500 pages); ~80 KB cached


def unanswered() -> QuerySet:
    """Questions without an answer that has a positive score or is accepted, newest first.

    Two NOT EXISTS probes per question, each one index descent: answer_page_idx (question,
    -rating, …) finds a positive answer first if there is one, the partial unique index
    one_correct_answer finds the accepted one.
    """
    positive = Answer.objects.filter(question_id=OuterRef("pk"), rating__gt=0)
    accepted = Answer.objects.filter(question_id=OuterRef("pk"), is_correct=True)
    return (
        Question.objects.with_cards()
        .filter(~Exists(positive), ~Exists(accepted))
        .order_by("-created_at", "-id")
    )


def unanswered_ids() -> list[int]:
    """The ids of the newest UNANSWERED_MAX unanswered questions, from the cache.

    Walking question_new_idx with the two probes costs ~6 µs a question: page 1 is cheap, but
    a deep page or the count walks every question (0.25–0.7 s at ratio 10000, where 3.5% are
    unanswered). So the whole id list is computed once per counts generation (a new or deleted
    question starts one) and at most TAG_STATS_TTL old; pages slice it and re-check their 20
    rows, so a question answered since then drops out of its page at once.
    """
    key = f"community:unanswered:{counts_generation()}"
    ids = cache.get(key)
    if ids is None:
        ids = list(unanswered().values_list("pk", flat=True)[:UNANSWERED_MAX])
        cache.set(key, ids, TAG_STATS_TTL)
    return ids


def counts_generation() -> int:
    """core.counts' generation: bumped when a question is created, deleted or re-tagged."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:  # never set, evicted or cache down: start one, as core.counts does
        cache.add(GENERATION_KEY, time.time_ns(), None)
        generation = cache.get(GENERATION_KEY, 0)
    return generation


@dataclass(frozen=True)
class TagStat:
    id: int
    name: str
    questions: int
    this_week: int

    @property
    def url(self) -> str:
        return reverse("tag", args=[self.name])


TagRow = tuple[int, str, int, int]  # id, name, questions, this week: cheap to (un)pickle


def tag_stats() -> list[TagRow]:
    """Every tag with its visible questions and those asked in the last 7 days, most popular
    first (ties by name), from the cache.

    Ordering by count needs every tag's count, so the whole ranking is computed at once — two
    GROUP BYs (all question–tag links, then only the last week's, found from the questions'
    created_at index) — and kept for TAG_STATS_TTL under the list counts' generation, which
    every new, deleted or re-tagged question bumps (core.counts). Pages and the filter then read
    one cache entry of plain tuples and run no SQL.
    """
    key = f"community:tag-stats:v2:{counts_generation()}"
    stats = cache.get(key)
    if stats is None:
        stats = tag_stats_compute()
        cache.set(key, stats, TAG_STATS_TTL)
    return stats


def tag_stats_compute(now=None) -> list[TagRow]:
    links = Question.tags.through.objects.order_by()
    deleted = Question.all_objects.filter(deleted_at__isnull=False).values("id")
    totals = dict(
        links.exclude(question_id__in=deleted)
        .values("tag_id")
        .annotate(n=Count("*"))
        .values_list("tag_id", "n")
    )
    since = (now or timezone.now()) - WEEK
    recent = dict(
        links.filter(question__created_at__gte=since, question__deleted_at__isnull=True)
        .values("tag_id")
        .annotate(n=Count("*"))
        .values_list("tag_id", "n")
    )
    stats = [
        (pk, name, totals.get(pk, 0), recent.get(pk, 0))
        for pk, name in Tag.objects.order_by().values_list("id", "name")
    ]
    stats.sort(key=lambda row: (-row[2], row[1]))
    return stats


def tags_matching(query: str) -> list[TagRow]:
    """The ranking narrowed to names containing `query` (tag names are lower case)."""
    stats = tag_stats()
    query = query.strip().lower()
    return [row for row in stats if query in row[1]] if query else stats


MEMBER_ORDERS = {  # the first is the default tab
    "reputation": ("-profile__reputation", "profile__user_id"),  # profile_reputation_idx
    "name": ("username",),
    "new": ("-date_joined", "-id"),
}


def members(order: str, query: str = "") -> QuerySet:
    """Active members (not deleted, not banned), filtered by username or display name."""
    people = User.objects.filter(is_active=True).select_related("profile")
    query = query.strip()
    if query:
        people = people.filter(
            Q(username__icontains=query) | Q(profile__display_name__icontains=query)
        )
    return people.order_by(*MEMBER_ORDERS[order])


MEMBER_COUNTS_TTL = 300  # seconds: a directory's counts need not be exact to the minute


def member_counts(user_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{user id: (questions, answers)} for a page of members, cached per member.

    Counting a prolific member's answers reads every one of them (the author index does not hold
    `deleted_at`): ~80 ms for the busiest members at ratio 10000, so counts are kept for
    MEMBER_COUNTS_TTL and only the missing ones are counted, in two GROUP BYs however many.
    """
    keys = {pk: f"community:member-counts:{pk}" for pk in user_ids}
    cached = cache.get_many(list(keys.values()))
    counts = {pk: tuple(cached[key]) for pk, key in keys.items() if key in cached}
    missing = [pk for pk in user_ids if pk not in counts]
    if missing:
        fresh = member_counts_compute(missing)
        cache.set_many({keys[pk]: value for pk, value in fresh.items()}, MEMBER_COUNTS_TTL)
        counts.update(fresh)
    return counts


def member_counts_compute(user_ids: list[int]) -> dict[int, tuple[int, int]]:
    questions = dict(
        Question.objects.filter(author_id__in=user_ids)
        .order_by()
        .values("author_id")
        .annotate(n=Count("*"))
        .values_list("author_id", "n")
    )
    answers = dict(
        Answer.objects.filter(author_id__in=user_ids)
        .order_by()
        .values("author_id")
        .annotate(n=Count("*"))
        .values_list("author_id", "n")
    )
    return {pk: (questions.get(pk, 0), answers.get(pk, 0)) for pk in user_ids}
