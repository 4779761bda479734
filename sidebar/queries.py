"""The right sidebar: popular tags and best members over the last three months.

Views never call these: `manage.py refresh_sidebar` (run by cron) computes them and stores one
plain value through sidebar/cache.py, which the inclusion tags in sidebar/templatetags read.
The value holds everything the templates show (names, counts, avatar URLs), so rendering it
needs no query.
"""

import calendar
import time
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from accounts.models import Profile
from qa.models import Answer, Question

from .cache import refresh_lock_release, refresh_lock_take, sidebar_write

WINDOW_MONTHS = 3
LIMIT = 10
CLOUD_SIZES = 5  # tag cloud steps: CSS classes tag-size-1 … tag-size-5


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (31 May − 3 months = 28/29 Feb)."""
    year, month_index = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month = month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def window_start(now: datetime | None = None) -> datetime:
    return months_before(now or timezone.now(), WINDOW_MONTHS)


def popular_tags(since: datetime, *, limit: int = LIMIT) -> list[dict]:
    """Tags with the most questions asked since `since`; ties by name, so the order is stable."""
    through = Question.tags.through
    rows = (
        through.objects.filter(question__created_at__gte=since, question__deleted_at__isnull=True)
        .values("tag_id", "tag__name")
        .annotate(count=Count("question_id"))
        .order_by("-count", "tag__name")[:limit]
    )
    return [{"name": row["tag__name"], "count": row["count"]} for row in rows]


def _activity_sql() -> str:
    """Questions and answers per author (deleted ones left out), each counted in its own
    GROUP BY and then summed.

    Counting both through one join (user ⋈ question ⋈ answer) would multiply the two counts;
    UNION ALL of two grouped counts cannot. Each branch is a range scan on created_at.
    Ties go to the older account (smaller id), so the order is stable between runs.
    """
    qn = connection.ops.quote_name
    question, answer = qn(Question._meta.db_table), qn(Answer._meta.db_table)
    author, created, deleted = qn("author_id"), qn("created_at"), qn("deleted_at")
    return (
        f"SELECT a.{author}, SUM(a.q), SUM(a.n) FROM ("
        f" SELECT {author}, COUNT(*) AS q, 0 AS n FROM {question}"
        f"  WHERE {created} >= %s AND {deleted} IS NULL GROUP BY {author}"
        f" UNION ALL"
        f" SELECT {author}, 0 AS q, COUNT(*) AS n FROM {answer}"
        f"  WHERE {created} >= %s AND {deleted} IS NULL GROUP BY {author}"
        f") a GROUP BY a.{author}"
        f" ORDER BY SUM(a.q) + SUM(a.n) DESC, a.{author} ASC"
        f" LIMIT %s"
    )


def best_members(since: datetime, *, limit: int = LIMIT) -> list[dict]:
    """Users with the most questions + answers since `since`, with what the sidebar shows."""
    with connection.cursor() as cursor:
        # Adapted as the ORM would (SQLite stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC).
        since_db = connection.ops.adapt_datetimefield_value(since)
        cursor.execute(_activity_sql(), [since_db, since_db, limit])
        counts = [(user_id, int(q), int(n)) for user_id, q, n in cursor.fetchall()]
    users = get_user_model().objects.select_related("profile").in_bulk([c[0] for c in counts])
    members = []
    for user_id, questions, answers in counts:
        user = users.get(user_id)
        if user is None:  # deleted between the two queries
            continue
        profile = getattr(user, "profile", None) or Profile(user=user)
        members.append(
            {
                "username": user.get_username(),
                "name": profile.name,
                "avatar_url": profile.avatar_url,
                "questions": questions,
                "answers": answers,
                "total": questions + answers,
            }
        )
    return members


def with_cloud_sizes(tags: list[dict]) -> list[dict]:
    """Tag cloud steps 1…CLOUD_SIZES, linear between the smallest and the largest count."""
    if not tags:
        return []
    low, high = min(t["count"] for t in tags), max(t["count"] for t in tags)
    span = max(high - low, 1)
    return [{**t, "size": 1 + round((t["count"] - low) * (CLOUD_SIZES - 1) / span)} for t in tags]


def sidebar_compute(now: datetime | None = None) -> dict:
    now = now or timezone.now()
    since = window_start(now)
    return {
        "tags": with_cloud_sizes(popular_tags(since)),
        "members": best_members(since),
        "since": since.isoformat(),
        "window_months": WINDOW_MONTHS,  # the templates' "in the last N months"
        "computed_at": now.isoformat(),
    }


@dataclass
class Refresh:
    """What one `refresh_sidebar` run did: computed (value, ms, kept) or skipped (holder)."""

    value: dict | None = None
    ms: float = 0.0
    kept: bool = False
    holder: dict | None = None  # the run that holds the cluster-wide lock, when we skipped


def sidebar_refresh(*, force: bool = False) -> Refresh:
    """Compute and store the sidebar, once per cron interval across every node: the first run
    takes the lock in the shared cache, the others skip (`force` computes regardless)."""
    ours = None
    if not force:
        ours, holder = refresh_lock_take()
        if ours is None:
            return Refresh(holder=holder)
    started = time.monotonic()
    try:
        value = sidebar_compute()
        kept = sidebar_write(value)
    except BaseException:
        if ours:
            refresh_lock_release(ours)
        raise
    if ours and not kept:
        refresh_lock_release(ours)
    return Refresh(value=value, ms=(time.monotonic() - started) * 1000, kept=kept)
