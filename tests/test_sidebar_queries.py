"""Popular tags and best members: the window, separate counts, stable ties, short lists."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command

from qa.models import Answer, Question
from sidebar.cache import KEY as CACHE_KEY
from sidebar.cache import sidebar_read as sidebar_cached
from sidebar.queries import (
    best_members,
    months_before,
    popular_tags,
    window_start,
    with_cloud_sizes,
)

from .helpers import make_answer, make_question, make_user

pytestmark = pytest.mark.django_db

SINCE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def asked(author, at: datetime, tags=(), title="A question about lists?"):
    question = make_question(author, title=title, tags=tags)
    Question.objects.filter(pk=question.pk).update(created_at=at)
    return question


def answered(question, author, at: datetime):
    answer = make_answer(question, author)
    Answer.objects.filter(pk=answer.pk).update(created_at=at)
    return answer


def names(members):
    return [(m["username"], m["total"]) for m in members]


def test_three_calendar_months_back():
    assert months_before(datetime(2026, 5, 31, 9, 30, tzinfo=UTC), 3) == datetime(
        2026, 2, 28, 9, 30, tzinfo=UTC
    )
    assert months_before(datetime(2024, 5, 31, tzinfo=UTC), 3) == datetime(2024, 2, 29, tzinfo=UTC)
    assert months_before(datetime(2026, 2, 15, tzinfo=UTC), 3) == datetime(2025, 11, 15, tzinfo=UTC)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert window_start(now) == datetime(2026, 3, 1, tzinfo=UTC)


def test_window_edges(alice, bob):
    asked(alice, SINCE, tags=["inside"])
    asked(alice, SINCE - timedelta(microseconds=1), tags=["outside"])
    old = asked(bob, SINCE - timedelta(days=1), tags=["outside"])
    answered(old, bob, SINCE + timedelta(seconds=1))  # a new answer to an old question counts
    answered(old, alice, SINCE - timedelta(seconds=1))

    assert popular_tags(SINCE) == [{"name": "inside", "count": 1}]
    assert names(best_members(SINCE)) == [("alice", 1), ("bob", 1)]


def test_questions_and_answers_are_counted_separately(alice, bob):
    """alice: 2 questions and 3 answers on those same questions → 5, not 2 × 3 or 6 × 2."""
    first = asked(alice, SINCE + timedelta(days=1), tags=["python", "lists"])
    second = asked(alice, SINCE + timedelta(days=2), tags=["python"])
    for question in (first, first, second):
        answered(question, alice, SINCE + timedelta(days=3))
    answered(first, bob, SINCE + timedelta(days=3))
    answered(second, bob, SINCE + timedelta(days=3))

    members = best_members(SINCE)
    assert members[0] == {
        "username": "alice",
        "name": "alice",
        "avatar_url": "/static/img/avatar.svg",
        "questions": 2,
        "answers": 3,
        "total": 5,
    }
    assert names(members) == [("alice", 5), ("bob", 2)]
    # A question with answers still counts once for its tag.
    assert popular_tags(SINCE) == [{"name": "python", "count": 2}, {"name": "lists", "count": 1}]


def test_ties_are_broken_the_same_way_every_time(alice, bob, carol):
    at = SINCE + timedelta(days=1)
    for name in ["zeta", "alpha", "mid"]:
        asked(carol, at, tags=[name])
    asked(carol, at, tags=["zeta"])
    # Equal totals: the older account (smaller id) first, whatever the insertion order.
    answered(asked(carol, at), bob, at)
    answered(asked(carol, at), alice, at)

    assert [t["name"] for t in popular_tags(SINCE)] == ["zeta", "alpha", "mid"]
    assert names(best_members(SINCE)) == [("carol", 6), ("alice", 1), ("bob", 1)]


def test_ten_at_most_and_fewer_when_there_are_fewer(db):
    at = SINCE + timedelta(days=1)
    users = [make_user(f"user{i:02d}") for i in range(12)]
    for i, user in enumerate(users):
        for _ in range(i + 1):  # user11 is the most active
            asked(user, at, tags=[f"tag{i:02d}"])

    tags = popular_tags(SINCE)
    assert [t["name"] for t in tags] == [f"tag{i:02d}" for i in range(11, 1, -1)]
    assert [m["username"] for m in best_members(SINCE)] == [
        f"user{i:02d}" for i in range(11, 1, -1)
    ]
    assert len(popular_tags(SINCE, limit=3)) == 3

    Question.objects.filter(author__in=users[:9]).delete()
    assert [m["username"] for m in best_members(SINCE)] == ["user11", "user10", "user09"]
    assert [t["count"] for t in popular_tags(SINCE)] == [12, 11, 10]


def test_members_carry_what_the_sidebar_shows(alice):
    alice.profile.display_name = "Alice <Liddell>"
    alice.profile.save()
    asked(alice, SINCE + timedelta(days=1))
    (member,) = best_members(SINCE)
    assert member["name"] == "Alice <Liddell>"
    assert member["username"] == "alice"
    assert member["avatar_url"].startswith("/static/")


def test_nothing_in_the_window(alice):
    asked(alice, SINCE - timedelta(days=1), tags=["old"])
    assert popular_tags(SINCE) == []
    assert best_members(SINCE) == []


def test_command_fills_one_key_and_prints_one_line(alice, bob, capsys, settings):
    question = make_question(alice, tags=["python", "django"])
    make_answer(question, bob)
    cache.delete(CACHE_KEY)

    call_command("refresh_sidebar")

    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("refresh_sidebar: 2 tags, 2 members in ")
    assert out[0].endswith(" ms")
    value = sidebar_cached()
    assert [t["name"] for t in value["tags"]] == ["django", "python"]
    assert {t["size"] for t in value["tags"]} == {1}
    assert names(value["members"]) == [("alice", 1), ("bob", 1)]
    # Far longer than the cron interval, so a missed run does not empty the sidebar.
    assert settings.SIDEBAR_CACHE_TIMEOUT >= 12 * settings.SIDEBAR_CRON_MINUTES * 60


def test_command_on_an_empty_site(db, capsys):
    call_command("refresh_sidebar")
    assert capsys.readouterr().out.startswith("refresh_sidebar: 0 tags, 0 members in ")
    value = sidebar_cached()
    assert value["tags"] == [] and value["members"] == []
    assert value["computed_at"] is not None


def test_tag_cloud_sizes_follow_the_counts(alice):
    at = SINCE + timedelta(days=1)
    for name, count in [("big", 9), ("medium", 5), ("small", 1)]:
        for _ in range(count):
            asked(alice, at, tags=[name])
    sizes = {t["name"]: t["size"] for t in with_cloud_sizes(popular_tags(SINCE))}
    assert sizes == {"big": 5, "medium": 3, "small": 1}
