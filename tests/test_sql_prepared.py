"""core.sql.Prepared: a QuerySet compiled once per shape gives what the ORM gives, with the
parameters of each call, converted as the ORM converts them (SQLite returns dates as text)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.sql import Prepared
from qa.models import Answer, Question
from qa.services import comment_create
from tests.helpers import make_answer, make_question

FIELDS = ("pk", "created_at", "rating", "is_correct", "author__username")


def window(question_id, bottom, top):
    return (
        Answer.objects.for_page(question_id).select_related(None).values_list(*FIELDS)[bottom:top]
    )


def test_rows_are_the_orms_for_every_call(alice, bob):
    first, second = make_question(alice), make_question(bob, title="Another question here?")
    for n in range(5):
        answer = make_answer(first, bob if n % 2 else alice, text=f"answer number {n}")
        Answer.objects.filter(pk=answer.pk).update(
            rating=n % 3, created_at=timezone.now() - timedelta(minutes=n)
        )
    make_answer(second, alice)
    built = []
    prepared = Prepared(lambda *args: built.append(args) or window(*args))
    for question in (first, second, first):
        for bottom, top in ((0, 2), (2, 4), (0, 30)):
            expected = list(window(question.pk, bottom, top))
            assert prepared.rows(question.pk, shape=(bottom, top)) == expected
    assert len(built) == 3  # one build a shape, whatever the question
    created = prepared.rows(first.pk, shape=(0, 1))[0][1]
    assert created.tzinfo is not None  # a datetime, as the ORM gives it, on SQLite too


def test_lists_of_ids_and_an_empty_list(alice, bob):
    question = make_question(alice)
    answers = [make_answer(question, bob, text=f"answer number {n}") for n in range(3)]
    comment_create(post=question, author=bob, text="on the question")
    for answer in answers:
        comment_create(post=answer, author=alice, text=f"on answer {answer.pk}")

    from qa.models import Comment

    def build(question_id, answer_ids):
        rows = Comment.objects.for_question_page(question_id, answer_ids)
        return rows.values_list("pk", "answer_id", "text")

    prepared = Prepared(build)
    for ids in ([], [answers[0].pk], [a.pk for a in answers], [answers[2].pk, answers[0].pk]):
        assert prepared.rows(question.pk, ids) == list(build(question.pk, ids)), ids
    nothing = Prepared(lambda ids: Question.objects.filter(pk__in=ids).values_list("pk"))
    with CaptureQueriesContext(connection) as ctx:
        assert nothing.rows([]) == []
    assert len(ctx) == 0
    assert nothing.rows([question.pk]) == [(question.pk,)]


def test_a_parameter_that_does_not_reach_the_sql_is_an_error(db):
    prepared = Prepared(lambda question_id: Question.objects.values_list("pk"))
    with pytest.raises(ValueError, match="not every parameter"):
        prepared.rows(1)


# core.sql.JoinedGet: one row with its to-one relations, as select_related() gives it.


def test_joined_get_is_select_related(alice, bob, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    from accounts.models import Profile
    from core.sql import JoinedGet

    question = make_question(alice)
    Profile.objects.filter(user=alice).update(reputation=42)
    expected = Question.all_objects.select_related("author__profile").get(pk=question.pk)
    with django_assert_num_queries(1):
        got = JoinedGet(Question, "author__profile").get(question.pk)
        assert got.author.profile.reputation == 42  # relations loaded, no further query
        assert got.author.profile.user is got.author  # the reverse side is cached too
    for name in ("pk", "title", "author_id", "created_at", "is_deleted"):
        assert getattr(got, name) == getattr(expected, name), name
    assert got.author.username == expected.author.username

    User = get_user_model()
    by_name = JoinedGet(User, "profile", by="username")
    assert by_name.get("bob") == bob
    assert by_name.get("BOB") is None  # exact, as the ORM's username= lookup
    assert JoinedGet(Question).get(2**70) is None  # out of the column's range: no match, no error
    assert JoinedGet(Question).get(question.pk + 1000) is None

    Profile.objects.filter(user=bob).delete()
    with django_assert_num_queries(1):
        lonely = JoinedGet(User, "profile").get(bob.pk)
    assert lonely == bob
    assert not User.profile.is_cached(lonely)  # no profile row: the relation is left unloaded


def test_joined_get_along_reads_other_rows_in_the_same_statement(alice, bob):
    from django.contrib.auth import get_user_model

    from core.sql import JoinedGet

    question = make_question(alice)
    answers = [make_answer(question, bob, text=f"answer number {i}") for i in range(2)]
    along = ('SELECT "id", "question_id" FROM "qa_answer" WHERE "question_id" = %s', [question.pk])
    joined = JoinedGet(get_user_model(), "profile")
    with CaptureQueriesContext(connection) as ctx:
        user, rows = joined.get_along(alice.pk, *along, width=2)
    assert len(ctx.captured_queries) == 1
    assert user == alice and user.profile.user_id == alice.pk
    assert sorted(rows) == [(a.pk, question.pk) for a in answers]
    assert joined.get_along(alice.pk + 1000, *along, width=2) == (None, rows)  # no such user
    assert joined.get_along(2**70, *along, width=2)[0] is None  # out of range: the rows still
    assert joined.get_along(bob.pk, "SELECT 1, 2 WHERE 1 = 0", [], width=2) == (bob, [])


def test_a_member_newer_than_the_statistics_is_read_by_index(db):
    """On PostgreSQL a session's member and profile are joined by index lookups however the
    statistics stand. With plain joins, a member who signed up after the sessions table was last
    analyzed (their id beyond its statistics) was read by a merge join over every member."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.base import SessionBase

    from accounts.models import Profile, Session
    from accounts.sessions import _session_with_user

    User = get_user_model()
    User.objects.bulk_create(User(username=f"member{n:05d}") for n in range(3000))
    members = list(User.objects.order_by("pk"))
    Profile.objects.bulk_create(Profile(user=member) for member in members)
    later = timezone.now() + timedelta(days=1)
    for n in range(60):  # the early members' sessions, then the statistics
        Session.objects.create(session_key=f"early{n:027d}", expire_date=later, user=members[0])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_session, auth_user, accounts_profile")
    newest = User.objects.create(username="newest")  # with a profile (accounts' signal)
    Session.objects.create(
        session_key="newest" + "x" * 26,
        session_data=SessionBase().encode({}),
        expire_date=later,
        user=newest,
    )
    joined = _session_with_user()
    select, tail = joined._compiled_for_read()[1][:2]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN SELECT {select} {tail}", ["newest" + "x" * 26])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Merge" not in plan and "Nested Loop" in plan, plan
    session = joined.get("newest" + "x" * 26)
    assert session.user == newest and session.user.profile.user_id == newest.pk
