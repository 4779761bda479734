"""fill_db at a small ratio: exact counts, consistent denormalised fields, safe re-runs."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, Min, Q, Sum
from django.test import Client

from accounts.models import Profile
from qa.markdown import render_markdown
from qa.models import Answer, AnswerVote, Comment, Question, QuestionVote, Revision, Tag

User = get_user_model()
pytestmark = pytest.mark.django_db


def fill(ratio: int, *flags: str) -> None:
    call_command("fill_db", ratio, "--progress", "off", *flags, stdout=open("/dev/null", "w"))


def snapshot() -> dict:
    """Everything but the dates (they are relative to the current hour)."""
    return {
        "users": list(User.objects.order_by("pk").values_list("username", "first_name")),
        "tags": list(Tag.objects.order_by("pk").values_list("name", flat=True)),
        "questions": list(
            Question.objects.order_by("pk").values_list(
                "author__username", "title", "text", "rating", "answers_count"
            )
        ),
        "question_tags": list(
            Question.tags.through.objects.order_by("pk").values_list("question__title", "tag__name")
        ),
        "answers": list(
            Answer.objects.order_by("pk").values_list(
                "question__title", "author__username", "text", "rating", "is_correct"
            )
        ),
        "votes": list(
            AnswerVote.objects.order_by("pk").values_list("user__username", "answer__text", "value")
        ),
    }


@pytest.mark.parametrize("ratio", [3, 5])
def test_exact_row_counts_per_ratio(ratio):
    fill(ratio)
    assert User.objects.count() == ratio
    assert Profile.objects.count() == ratio
    assert Tag.objects.count() == ratio
    assert Question.objects.count() == ratio * 10
    assert Answer.objects.count() == ratio * 100
    assert QuestionVote.objects.count() + AnswerVote.objects.count() == ratio * 200


def test_one_vote_per_user_per_item_and_never_on_own_post():
    fill(5)
    for model, target in ((QuestionVote, "question"), (AnswerVote, "answer")):
        doubled = model.objects.values("user", target).annotate(n=Count("id")).filter(n__gt=1)
        assert not doubled.exists()
        assert not model.objects.filter(user=F(f"{target}__author")).exists()
        assert set(model.objects.values_list("value", flat=True)) <= {1, -1}


def test_ratings_equal_the_sum_of_votes_and_answer_counts_the_real_count():
    fill(5)
    questions = Question.objects.annotate(votes_sum=Sum("votes__value", default=0)).values_list(
        "rating", "votes_sum"
    )
    assert all(rating == total for rating, total in questions)
    answers = Answer.objects.annotate(votes_sum=Sum("votes__value", default=0)).values_list(
        "rating", "votes_sum"
    )
    assert all(rating == total for rating, total in answers)
    counts = Question.objects.annotate(real=Count("answers")).values_list("answers_count", "real")
    assert all(stored == real for stored, real in counts)
    assert Question.objects.exclude(rating=0).exists()


def test_one_to_three_tags_and_at_most_one_correct_answer_per_question():
    fill(5)
    tag_counts = Question.objects.annotate(n=Count("tags")).aggregate(low=Min("n"), high=Max("n"))
    assert tag_counts == {"low": 1, "high": 3}
    correct = Question.objects.annotate(n=Count("answers", filter=Q(answers__is_correct=True)))
    assert correct.aggregate(high=Max("n"))["high"] == 1
    assert Answer.objects.filter(is_correct=True).count() >= 5


def test_dates_span_two_years_and_answers_follow_their_question():
    fill(5)
    span = Question.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert 600 <= (span["last"] - span["first"]).days <= 731
    assert not Answer.objects.filter(created_at__lt=F("question__created_at")).exists()


def test_demo_users_log_in_with_password():
    fill(3)
    assert authenticate(username="user0", password="password") is not None
    assert authenticate(username="user2", password="password") is not None


def test_refuses_a_non_empty_database_without_append_or_flush():
    fill(3)
    with pytest.raises(CommandError, match="--append or --flush"):
        fill(3)
    fill(3, "--if-empty")  # demo data of `make up`: a no-op once data exists
    assert Question.objects.count() == 30


def test_append_adds_a_batch_and_flush_replaces_everything_but_superusers():
    User.objects.create_superuser("admin", "admin@example.com", "pass-word-123")
    fill(3, "--append")
    fill(3, "--append")
    assert Question.objects.count() == 60
    assert Tag.objects.count() == 6
    assert User.objects.count() == 7
    fill(4, "--flush")
    assert Question.objects.count() == 40
    assert set(User.objects.values_list("username", flat=True)) == {
        "admin",
        "user0",
        "user1",
        "user2",
        "user3",
    }
    new = Question.objects.create(author=User.objects.get(username="user0"), title="t", text="x")
    assert new.pk == Question.objects.aggregate(Max("pk"))["pk__max"]  # sequences moved on


def test_same_seed_same_data_other_seed_other_data():
    fill(3, "--seed", "7")
    first = snapshot()
    fill(3, "--seed", "7", "--flush")
    assert snapshot() == first
    fill(3, "--seed", "8", "--flush")
    assert snapshot()["answers"] != first["answers"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_fast_path_keeps_indexes_and_constraints():
    """The real command runs outside any transaction (TRUNCATE + COPY FREEZE + VACUUM on
    PostgreSQL): the indexes dropped for the load must all be back afterwards."""
    from django.db import connection

    def indexes() -> set:
        with connection.cursor() as cursor:
            return {
                (table, name)
                for table in ("qa_question", "qa_answer", "qa_answervote", "qa_question_tags")
                for name in connection.introspection.get_constraints(cursor, table)
            }

    before = indexes()
    fill(3)
    assert indexes() == before
    assert Answer.objects.count() == 300
    with pytest.raises(Exception):  # noqa: B017 — the unique constraint is back in force
        vote = AnswerVote.objects.first()
        AnswerVote.objects.create(user_id=vote.user_id, answer_id=vote.answer_id, value=1)


def test_cached_list_counts_see_the_loaded_questions(
    monkeypatch, django_capture_on_commit_callbacks
):
    """The bulk load sends no post_save signals: fill_db invalidates the cached counts itself."""
    monkeypatch.setattr("core.counts.CACHE_COUNTS_FROM", 1)
    fill(1)
    client = Client()
    assert client.get("/").context["page"].paginator.count == 10  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        fill(1, "--append")
    assert client.get("/").context["page"].paginator.count == 20


def test_comments_and_revisions_are_consistent_with_the_posts():
    fill(20)
    assert Comment.objects.count() == 20 * 30
    on_questions = Comment.objects.filter(answer__isnull=True).count()
    assert 0.5 < on_questions / 600 < 0.8  # about two thirds
    assert (
        not Comment.objects.exclude(answer__isnull=True)
        .exclude(answer__question=F("question"))
        .exists()
    )
    assert not Comment.objects.exclude(text_html=F("text")).exists()  # plain: HTML is the text
    edited = list(Question.objects.filter(edited_at__isnull=False)) + list(
        Answer.objects.filter(edited_at__isnull=False)
    )
    assert edited, "some posts were edited"
    assert Revision.objects.count() == 2 * len(edited)
    for post in edited:
        first, second = sorted(post.revisions.all(), key=lambda r: r.number)
        assert (first.number, second.number) == (1, 2)
        assert second.text == post.text and post.text.startswith(first.text + "\n\n")
        assert render_markdown(post.text) == post.text_html
        if isinstance(post, Question):
            assert second.title == post.title
            assert second.tags == " ".join(sorted(t.name for t in post.tags.all()))
    # The question page shows them (comments under posts, "edited" linking to the history).
    question = Comment.objects.filter(answer__isnull=True).first().question
    body = Client().get(question.get_absolute_url()).content.decode()
    for comment in question.comments.filter(answer__isnull=True)[:5]:
        assert comment.text in body
