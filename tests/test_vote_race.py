"""Two requests from one user voting at the same moment must count once."""

import threading

import pytest
from django.db import connection

from qa.models import AnswerVote, QuestionVote
from qa.services import vote_set

from .helpers import make_answer, make_question


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["question", "answer"])
def test_concurrent_double_vote_counts_once(alice, bob, kind):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("an in-memory SQLite test database is one connection; PostgreSQL runs this")
    question = make_question(alice)
    target = question if kind == "question" else make_answer(question, alice)
    barrier = threading.Barrier(4)
    errors = []

    def vote():
        try:
            barrier.wait()
            vote_set(user=bob, target=target, value=1)
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    target.refresh_from_db()
    votes = QuestionVote if kind == "question" else AnswerVote
    assert votes.objects.count() == 1
    assert target.rating == 1
