"""Reputation: earned and lost with votes and accepts, undone with them, race-safe, rebuildable."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Profile
from community.models import ReputationEvent
from community.reputation import reputation_expected
from qa.services import answer_mark_correct, question_delete, vote_set

from .helpers import client_for, csrf_post, make_answer, make_question, make_user

pytestmark = pytest.mark.django_db


def rep(user) -> int:
    return Profile.objects.values_list("reputation", flat=True).get(user=user)


def test_question_votes(alice, bob):
    question = make_question(alice)
    assert rep(alice) == 1
    vote_set(user=bob, target=question, value=1)
    assert (rep(alice), rep(bob)) == (6, 1)
    vote_set(user=bob, target=question, value=-1)  # change: the +5 goes, −2 comes
    assert (rep(alice), rep(bob)) == (-1, 1)  # stored exactly, so it can be undone …
    assert Profile.objects.get(user=alice).reputation_shown == 1  # … shown never below 1
    vote_set(user=bob, target=question, value=0)
    assert (rep(alice), rep(bob)) == (1, 1)


def test_answer_votes_cost_the_downvoter_one(alice, bob, carol):
    answer = make_answer(make_question(alice), bob)
    vote_set(user=carol, target=answer, value=1)
    vote_set(user=alice, target=answer, value=1)
    assert rep(bob) == 21
    vote_set(user=carol, target=answer, value=-1)
    assert (rep(bob), rep(carol)) == (9, 0)
    vote_set(user=carol, target=answer, value=-1)  # the same vote again changes nothing
    assert (rep(bob), rep(carol)) == (9, 0)
    vote_set(user=carol, target=answer, value=0)
    assert (rep(bob), rep(carol)) == (11, 1)


def test_accepting_moves_and_undoes_reputation(alice, bob, carol):
    question = make_question(alice)
    first, second = make_answer(question, bob), make_answer(question, carol)
    answer_mark_correct(answer=first, correct=True)
    assert (rep(alice), rep(bob), rep(carol)) == (3, 16, 1)
    answer_mark_correct(answer=first, correct=True)  # again: nothing more
    assert (rep(alice), rep(bob)) == (3, 16)
    answer_mark_correct(answer=second, correct=True)  # the accept moves to carol
    assert (rep(alice), rep(bob), rep(carol)) == (3, 1, 16)
    answer_mark_correct(answer=first, correct=False)  # unmarking another answer: no change
    assert (rep(alice), rep(bob), rep(carol)) == (3, 1, 16)
    answer_mark_correct(answer=second, correct=False)
    assert (rep(alice), rep(bob), rep(carol)) == (1, 1, 1)


def test_accepting_your_own_answer_earns_nothing(alice):
    question = make_question(alice)
    answer_mark_correct(answer=make_answer(question, alice), correct=True)
    assert rep(alice) == 1


def test_reputation_through_the_site(alice, bob):
    question = make_question(alice)
    answer = make_answer(question, bob)
    assert csrf_post(client_for(alice), f"/answer/{answer.pk}/vote/", {"value": "1"}).status_code
    csrf_post(client_for(alice), f"/answer/{answer.pk}/correct/", {"correct": "true"})
    assert (rep(alice), rep(bob)) == (3, 26)
    page = client_for().get("/user/bob/").content.decode()
    assert '<strong class="fs-5" id="reputation">26</strong> <span class="text-secondary">' in page
    assert "reputation</span>" in page
    question_page = client_for().get(question.get_absolute_url()).content.decode()
    assert 'title="reputation">26</span>' in question_page
    assert 'title="reputation">3</span>' in question_page
    users = client_for().get("/users/")
    assert [p.username for p in users.context["people"]] == ["bob", "alice"]


def test_recompute_reports_and_fixes_differences(alice, bob, carol, capsys):
    question = make_question(alice)
    answer = make_answer(question, bob)
    vote_set(user=carol, target=answer, value=-1)
    vote_set(user=carol, target=question, value=1)
    answer_mark_correct(answer=answer, correct=True)
    call_command("reputation_recompute", "--check")
    assert "0 differed" in capsys.readouterr().out
    Profile.objects.filter(user=bob).update(reputation=500)
    with pytest.raises(CommandError, match="1 reputations differ"):
        call_command("reputation_recompute", "--check")
    assert rep(bob) == 500
    call_command("reputation_recompute")
    assert "1 differed (fixed)" in capsys.readouterr().out
    assert (rep(alice), rep(bob), rep(carol)) == (1 + 5 + 2, 1 - 2 + 15, 0)


def test_fill_db_writes_consistent_reputation(db):
    call_command("fill_db", 3, "--progress", "off", stdout=open("/dev/null", "w"))
    stored = dict(Profile.objects.values_list("user_id", "reputation"))
    assert stored == {pk: reputation_expected().get(pk, 1) for pk in stored}
    assert any(value != 1 for value in stored.values())


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_add_up_exactly(alice):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("an in-memory SQLite test database is one connection")
    answer = make_answer(make_question(alice), alice)
    voters = [make_user(f"voter{i}") for i in range(6)]
    barrier = threading.Barrier(len(voters))
    errors = []

    def vote(voter, value):
        try:
            barrier.wait()
            vote_set(user=voter, target=answer, value=value)
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=vote, args=(v, 1 if i % 3 else -1)) for i, v in enumerate(voters)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert rep(alice) == 1 + 4 * 10 + 2 * -2
    assert [rep(v) for v in voters] == [0, 1, 1, 0, 1, 1]


def test_history_lists_every_change_newest_first(alice, bob, carol):
    question = make_question(alice, title="About <b>tags</b>")
    answer = make_answer(question, bob)
    vote_set(user=carol, target=question, value=1)
    vote_set(user=carol, target=answer, value=-1)
    vote_set(user=carol, target=answer, value=0)
    answer_mark_correct(answer=answer, correct=True)
    events = list(
        ReputationEvent.objects.filter(user=bob).order_by("id").values_list("delta", "reason")
    )
    assert events == [(-2, "downvote"), (2, "downvote"), (15, "accepted")]
    for member in (alice, bob, carol):  # the history adds up to the total
        total = sum(ReputationEvent.objects.filter(user=member).values_list("delta", flat=True))
        assert rep(member) == 1 + total

    page = client_for().get("/user/bob/reputation/")
    body = page.content.decode()
    assert page.status_code == 200
    labels = [event.label for event in page.context["page"].object_list]
    assert labels == ["answer accepted", "downvote (undone)", "downvote"]
    assert "About &lt;b&gt;tags&lt;/b&gt;" in body and "<b>tags" not in body
    assert f'href="/answer/{answer.pk}/"' in body
    assert (
        'href="/user/bob/reputation/" class="small">history</a>'
        in client_for().get("/user/bob/").content.decode()
    )


def test_history_pages_and_hides_deleted_titles(alice, bob):
    question = make_question(alice, title="Secret spam title")
    for _ in range(35):
        vote_set(user=bob, target=question, value=1)
        vote_set(user=bob, target=question, value=0)
    first = client_for().get("/user/alice/reputation/")
    assert len(first.context["page"].object_list) == 30
    last = client_for().get("/user/alice/reputation/", {"page": "nope"})
    assert last.context["page"].number == 1
    last = client_for().get("/user/alice/reputation/", {"page": "99"})
    assert last.context["page"].number == 3 and len(last.context["page"].object_list) == 10
    question_delete(question=question, by=alice)
    hidden = client_for().get("/user/alice/reputation/").content.decode()
    assert "Secret spam title" not in hidden and "a deleted post" in hidden
    assert client_for().get("/user/nobody/reputation/").status_code == 404
