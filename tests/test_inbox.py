"""The inbox: what happens to a member's posts reaches them (an answer to their question, their
answer accepted, a comment on their post), counted in the navbar of every page, listed newest
first at /inbox/, marked read there, and pushed on their private channel after the commit."""

import re
import threading

import pytest
from django.db import connection

from accounts.models import Profile
from accounts.services import account_delete
from inbox.models import Notification
from inbox.services import notification_create, notifications_mark_read
from live import publisher
from qa.services import answer_create, answer_delete, answer_mark_correct, comment_create
from tests.helpers import (
    client_for,
    csrf_post,
    make_answer,
    make_question,
    make_user,
    queries_of_get,
)

pytestmark = pytest.mark.django_db


def unread(user) -> int:
    return Profile.objects.get(user=user).inbox_unread


def badge(html: str) -> str:
    match = re.search(r'<span id="inbox-count"[^>]*>(\d+)</span>', html)
    assert match, "no inbox count in the navbar"
    return match.group(0)


@pytest.fixture
def pushed(monkeypatch, settings):
    """What the services publish to members' private channels (the comet server is tested
    through real nginx in tests/e2e/test_live_inbox.py)."""
    settings.LIVE_BACKEND = "nchan"
    sent = []
    monkeypatch.setattr(publisher, "publish_to", lambda ch, msg, what="": sent.append((ch, msg)))
    return sent


def user_messages(sent, user) -> list[dict]:
    return [msg for channels, msg in sent if channels == [f"user-{user.pk}"]]


def test_an_answer_an_accept_and_comments_reach_the_post_s_author(alice, bob):
    question = make_question(alice, title="Why is my loop slow?")
    answer = answer_create(question=question, author=bob, text="Profile it.")
    answer_mark_correct(answer=answer, correct=True)
    comment_create(post=question, author=bob, text="Which Python version?")
    comment_create(post=answer, author=alice, text="Thanks, that was it.")

    kinds = lambda user: list(  # noqa: E731
        Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", "actor")
    )
    assert kinds(alice) == [("answer", bob.pk), ("comment", bob.pk)]
    assert kinds(bob) == [("accepted", alice.pk), ("comment", alice.pk)]
    assert unread(alice) == 2 and unread(bob) == 2


def test_nothing_for_one_s_own_doings_or_for_a_deleted_account(alice, bob):
    question = make_question(alice)
    own = answer_create(question=question, author=alice, text="Answering myself.")
    answer_mark_correct(answer=own, correct=True)
    comment_create(post=question, author=alice, text="A note to self.")
    assert not Notification.objects.exists() and unread(alice) == 0

    account_delete(user=alice)
    answer_create(question=question, author=bob, text="Too late for alice.")
    assert not Notification.objects.exists()


def test_re_accepting_or_unaccepting_adds_nothing(alice, bob):
    question = make_question(alice)
    answer = make_answer(question, bob)
    answer_mark_correct(answer=answer, correct=True)
    answer_mark_correct(answer=answer, correct=True)
    answer_mark_correct(answer=answer, correct=False)
    assert Notification.objects.filter(recipient=bob, kind="accepted").count() == 1


def test_every_page_s_navbar_shows_the_unread_count_without_a_query(alice, bob):
    question = make_question(alice)
    client = client_for(alice)
    # Rendered with no notification, then with two: the same queries (the count is on the
    # profile the navbar reads anyway).
    before = len(queries_of_get(client, "/")[0])
    assert "hidden>0</span>" in badge(client.get("/").text)
    answer_create(question=question, author=bob, text="One.")
    comment_create(post=question, author=bob, text="And a remark.")
    assert len(queries_of_get(client, "/")[0]) == before
    page = client.get(f"/question/{question.pk}/").text
    assert '<a class="nav-link" href="/inbox/" id="inbox-link"' in page
    assert re.search(r'href="/inbox/" id="inbox-link"[^>]*>[^<]*<span id="inbox-count"', page)
    assert badge(page).endswith(">2</span>") and " hidden" not in badge(page)
    assert "inbox-link" not in client_for().get("/").text  # anonymous: no inbox


def test_the_inbox_lists_newest_first_marks_unread_and_then_reads_them(alice, bob, carol):
    question = make_question(alice, title="Why is my <b>loop</b> slow?")
    first = answer_create(question=question, author=bob, text="Profile it.")
    answer_create(question=question, author=carol, text="Use a set.")
    client = client_for(alice)

    page = client.get("/inbox/")
    assert page.status_code == 200
    items = re.findall(r'data-notification-id="(\d+)"', page.text)
    assert [int(x) for x in items] == list(
        Notification.objects.filter(recipient=alice).order_by("-pk").values_list("pk", flat=True)
    )
    assert page.text.count("notification-unread") == 2
    assert "carol answered your question" in page.text
    assert f'href="/answer/{first.pk}/"' in page.text  # a link that finds the answer's page
    assert "Why is my &lt;b&gt;loop&lt;/b&gt; slow?" in page.text  # escaped, as everywhere
    assert badge(page.text).endswith(" hidden>0</span>")  # read now: this page's badge too
    assert unread(alice) == 0
    assert "notification-unread" not in client.get("/inbox/").text


def test_the_inbox_is_paginated_and_reads_what_it_showed_and_older(alice, bob):
    question = make_question(alice)
    for _ in range(25):
        notification_create(
            recipient_id=alice.pk, kind="answer", actor_id=bob.pk, question_id=question.pk
        )
    client = client_for(alice)
    second = client.get("/inbox/", {"page": 2})
    assert len(re.findall(r'data-notification-id="', second.text)) == 5
    assert second.text.count("notification-unread") == 5
    assert unread(alice) == 20  # the 20 newer ones, on page 1, are still unread
    first = client.get("/inbox/")
    assert len(re.findall(r'data-notification-id="', first.text)) == 20
    assert first.text.count("notification-unread") == 20
    assert unread(alice) == 0
    for garbage in ("0", "-1", "x", "99999999999999999999"):
        assert client.get("/inbox/", {"page": garbage}).status_code == 200


def test_the_inbox_is_for_members(alice):
    response = client_for().get("/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert csrf_post(client_for(alice), "/inbox/").status_code == 405


def test_catch_up_returns_the_count_and_what_came_since(alice, bob):
    question = make_question(alice)
    client = client_for(alice)
    body = client.get("/inbox/live/", {"since": 0}).json()
    assert body == {"unread": 0, "latest": 0, "notifications": []}

    answer_create(question=question, author=bob, text="One.")
    comment_create(post=question, author=bob, text="A <script>x</script> remark")
    body = client.get("/inbox/live/", {"after": 0}).json()
    ids = [n["id"] for n in body["notifications"]]
    mine = list(Notification.objects.filter(recipient=alice).order_by("pk"))
    assert ids == [n.pk for n in mine]  # oldest first, toasted in that order
    assert body["unread"] == 2 and body["latest"] == mine[-1].pk
    assert "bob answered your question" in body["notifications"][0]["html"]
    assert "<script>" not in str(body)

    after = client.get("/inbox/live/", {"after": mine[0].pk}).json()
    assert [n["id"] for n in after["notifications"]] == [mine[1].pk]
    # A page rendered after both asks from its render time: nothing to toast.
    future = client.get("/inbox/live/", {"since": 253402300799999}).json()
    assert future["notifications"] == [] and future["latest"] == mine[-1].pk


def test_catch_up_answers_in_the_page_s_language(alice, bob):
    question = make_question(alice)
    answer_create(question=question, author=bob, text="Один.")
    body = client_for(alice).get("/inbox/live/", {"since": 1}, HTTP_ACCEPT_LANGUAGE="ru").json()
    assert "bob: ответ на ваш вопрос" in body["notifications"][0]["html"]


def test_catch_up_refuses_garbage_and_strangers(alice):
    client = client_for(alice)
    for params in ({"after": "x"}, {"after": "-1"}, {"since": "9" * 30}, {"after": 2**63}):
        response = client.get("/inbox/live/", params)
        assert response.status_code == 400, params
        assert "error" in response.json()
    assert client_for().get("/inbox/live/").status_code == 401
    assert csrf_post(client, "/inbox/live/").status_code == 405


def test_each_change_is_pushed_to_the_member_s_channel_after_commit(
    pushed, alice, bob, django_capture_on_commit_callbacks
):
    question = make_question(alice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer_create(question=question, author=bob, text="One.")
    assert user_messages(pushed, alice) == []  # nothing before the commit
    for callback in callbacks:
        callback()
    latest = Notification.objects.get(recipient=alice).pk
    assert user_messages(pushed, alice) == [{"type": "inbox", "unread": 1, "latest": latest}]

    # Opening the inbox: every other tab's badge drops to zero (one publish).
    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).get("/inbox/")
    assert user_messages(pushed, alice)[1:] == [{"type": "inbox", "unread": 0}]
    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).get("/inbox/")  # nothing more to read: nothing pushed
    assert len(user_messages(pushed, alice)) == 2


@pytest.mark.django_db(transaction=True)
def test_the_count_never_drifts_under_concurrent_notifications_and_reads(alice, bob):
    """Notifications arriving while the member reads: the stored count equals the unread rows
    (on PostgreSQL the profile row orders them; SQLite serialises writers anyway)."""
    question = make_question(alice)
    errors = []

    def notify():
        try:
            for _ in range(10):
                notification_create(
                    recipient_id=alice.pk, kind="answer", actor_id=bob.pk, question_id=question.pk
                )
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    def read():
        try:
            for _ in range(10):
                notifications_mark_read(user=alice)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL's row locks")
    threads = [threading.Thread(target=f) for f in (notify, notify, read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert unread(alice) == Notification.objects.filter(recipient=alice, read_at=None).count()
    assert Notification.objects.filter(recipient=alice).count() == 20


def test_a_deleted_post_stays_listed_without_its_link(alice, bob):
    question = make_question(alice, title="Soon gone")
    answer = answer_create(question=question, author=bob, text="One.")
    answer_delete(answer=answer, by=bob)
    page = client_for(alice).get("/inbox/").text
    assert "Soon gone (deleted)" in page and f"/answer/{answer.pk}/" not in page


def test_a_new_member_s_russian_inbox(alice):
    make_user("masha")
    page = client_for(alice).get("/inbox/", HTTP_ACCEPT_LANGUAGE="ru").text
    assert "Входящие" in page and "Пока ничего нет" in page
