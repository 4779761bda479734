import json

import pytest
from django.db import IntegrityError, transaction

from qa.models import Answer, AnswerVote, Question, QuestionVote
from qa.services import vote_set

from .helpers import client_for, csrf_post, make_answer, make_question

pytestmark = pytest.mark.django_db


def vote(client, url, value):
    return csrf_post(client, url, {"value": value}, HTTP_ACCEPT="application/json")


def test_vote_up_change_cancel(alice, bob):
    question = make_question(alice)
    url = f"/question/{question.pk}/vote/"
    client = client_for(bob)
    assert vote(client, url, 1).json() == {"rating": 1, "vote": 1}
    assert vote(client, url, 1).json() == {"rating": 1, "vote": 1}  # same vote twice counts once
    assert vote(client, url, -1).json() == {"rating": -1, "vote": -1}
    assert vote(client, url, 0).json() == {"rating": 0, "vote": 0}
    assert not QuestionVote.objects.exists()


def test_answer_votes_from_two_users_add_up(alice, bob, carol):
    answer = make_answer(make_question(alice), alice)
    url = f"/answer/{answer.pk}/vote/"
    vote(client_for(bob), url, 1)
    assert vote(client_for(carol), url, 1).json()["rating"] == 2
    answer.refresh_from_db()
    assert answer.rating == 2 == sum(AnswerVote.objects.values_list("value", flat=True))


def test_vote_errors(alice, bob):
    question = make_question(alice)
    url = f"/question/{question.pk}/vote/"
    assert vote(client_for(), url, 1).status_code == 401
    assert client_for(bob).get(url).status_code == 405
    assert vote(client_for(bob), url, 5).status_code == 400
    assert vote(client_for(bob), url, "up").status_code == 400
    assert vote(client_for(bob), "/question/999999/vote/", 1).status_code == 404
    assert vote(client_for(bob), "/answer/999999/vote/", 1).status_code == 404
    own = vote(client_for(alice), url, 1)
    assert own.status_code == 403 and "own" in own.json()["error"]
    assert client_for(bob).post(url, {"value": 1}).status_code == 403  # no CSRF token
    missing = vote(client_for(bob), "/answer/999999/vote/", 1)
    for response in (vote(client_for(), url, 1), client_for(bob).get(url), missing):
        assert response["Content-Type"] == "application/json"
        assert "error" in json.loads(response.content)


def test_double_vote_rows_never_count_twice(alice, bob):
    """The database itself refuses a second vote row for the same user and post (what a racing
    request that skipped the service's check would insert), so the rows never count a user
    twice and the next vote still moves the rating from the one row there is."""
    question = make_question(alice)
    vote_set(user=bob, target=question, value=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionVote.objects.create(user=bob, question=question, value=1)

    assert list(QuestionVote.objects.filter(question=question).values_list("value", flat=True)) == [
        1
    ]
    assert vote_set(user=bob, target=question, value=-1) == -1
    assert list(QuestionVote.objects.filter(question=question).values_list("value", flat=True)) == [
        -1
    ]


def test_mark_correct_only_by_question_author(alice, bob):
    question = make_question(alice)
    first, second = make_answer(question, bob), make_answer(question, bob, text="another one")
    url = f"/answer/{first.pk}/correct/"
    assert csrf_post(client_for(), url, {"correct": "true"}).status_code == 401
    assert csrf_post(client_for(bob), url, {"correct": "true"}).status_code == 403
    assert client_for(alice).get(url).status_code == 405
    assert csrf_post(client_for(alice), url, {"correct": "maybe"}).status_code == 400
    assert (
        csrf_post(client_for(alice), "/answer/999999/correct/", {"correct": "true"}).status_code
        == 404
    )
    assert csrf_post(client_for(alice), url, {"correct": "true"}).json() == {"correct": True}
    # Marking another answer moves the mark: one correct answer per question.
    csrf_post(client_for(alice), f"/answer/{second.pk}/correct/", {"correct": "true"})
    assert list(Answer.objects.filter(is_correct=True)) == [second]
    assert csrf_post(
        client_for(alice), f"/answer/{second.pk}/correct/", {"correct": "false"}
    ).json() == {"correct": False}
    assert not Answer.objects.filter(is_correct=True).exists()


def test_rating_follows_votes_exactly(alice, bob, carol):
    question = make_question(alice)
    for user, value in [(bob, 1), (carol, -1), (bob, -1), (carol, 0), (bob, 0), (carol, 1)]:
        vote_set(user=user, target=question, value=value)
    question.refresh_from_db()
    assert question.rating == 1
    assert Question.objects.get().rating == sum(
        QuestionVote.objects.values_list("value", flat=True)
    )


def test_only_a_vote_that_changes_something_is_published(
    alice, bob, monkeypatch, django_capture_on_commit_callbacks
):
    question = make_question(alice)
    published = []
    monkeypatch.setattr(
        "live.publisher.publish_vote", lambda kind, target, rating: published.append(rating)
    )
    with django_capture_on_commit_callbacks(execute=True):
        for value in (1, 1, 0, 0):  # a double click, then a double cancel
            vote_set(user=bob, target=question, value=value)
    assert published == [1, 0]
