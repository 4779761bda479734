"""What the browse pages read: unanswered questions, tag statistics, the member directory."""

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


def unanswered() -> QuerySet:
    """Questions without an answer that has a positive score or is accepted, newest first.

    Two NOT EXISTS probes per question, each one index descent: answer_page_idx (question,
    -rating, …) finds a positive answer first if there is one, the partial unique index
    one_correct_answer finds the accepted one. Walked along question_new_idx, page 1 stops after
    20 matches.
    """
    positive = Answer.objects.filter(question_id=OuterRef("pk"), rating__gt=0)
    accepted = Answer.objects.filter(question_id=OuterRef("pk"), is_correct=True)
    return (
        Question.objects.with_cards()
        .filter(~Exists(positive), ~Exists(accepted))
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class TagStat:
    id: int
    name: str
    questions: int
    this_week: int

    @property
    def url(self) -> str:
        return reverse("tag", args=[self.name])


def tag_stats() -> list[TagStat]:
    """Every tag with its visible questions and those asked in the last 7 days, most popular
    first (ties by name), from the cache.

    Ordering by count needs every tag's count, so the whole ranking is computed at once — two
    GROUP BYs (all question–tag links, then only the last week's, found from the questions'
    created_at index) — and kept for TAG_STATS_TTL under the list counts' generation, which
    every new, deleted or re-tagged question bumps (core.counts). Pages and the filter then read
    one cache entry and run no SQL.
    """
    generation = cache.get(GENERATION_KEY)
    key = f"community:tag-stats:{generation}"
    stats = cache.get(key) if generation is not None else None
    if stats is None:
        stats = tag_stats_compute()
        if generation is not None:
            cache.set(key, stats, TAG_STATS_TTL)
    return stats


def tag_stats_compute(now=None) -> list[TagStat]:
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
        TagStat(pk, name, totals.get(pk, 0), recent.get(pk, 0))
        for pk, name in Tag.objects.order_by().values_list("id", "name")
    ]
    stats.sort(key=lambda tag: (-tag.questions, tag.name))
    return stats


def tags_matching(query: str) -> list[TagStat]:
    """The ranking narrowed to names containing `query` (tag names are lower case)."""
    stats = tag_stats()
    query = query.strip().lower()
    return [tag for tag in stats if query in tag.name] if query else stats


MEMBER_ORDERS = {
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


def member_counts(user_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{user id: (questions, answers)} for a page of members: two GROUP BYs on the author
    indexes, however many members are on the page."""
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
