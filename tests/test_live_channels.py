"""The private inbox channel's authorization (nginx's auth_request asks Django), presence,
typing pings and the lists' catch-up endpoint."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from live import publisher
from live.channels import subscribe_url
from live.views import PRESENCE_KEY
from qa.services import question_create, vote_set
from tests.helpers import make_question


def auth(client: Client, path: str) -> int:
    return client.get("/live/auth/", headers={"x-original-uri": path}).status_code


def test_only_the_member_may_subscribe_to_their_inbox_channel(alice, bob):
    client = Client()
    own = subscribe_url(["question-5"], user_id=alice.pk)
    assert auth(client, own) == 403  # anonymous
    client.force_login(bob)
    assert auth(client, own) == 403  # another member
    assert auth(client, subscribe_url([], user_id=bob.pk)) == 204
    assert auth(client, subscribe_url([], user_id=bob.pk) + "?x=1") == 204
    assert auth(client, "/live/question-5") == 403  # nothing private asked: not ours to allow
    assert auth(client, "") == 403
    bob.is_active = False
    bob.save()
    client.force_login(bob)
    assert auth(client, subscribe_url([], user_id=bob.pk)) == 403


def test_pages_subscribe_to_their_channels_on_one_connection(settings, alice):
    settings.LIVE_BACKEND = "nchan"
    question = make_question(alice, tags=["python"])
    client = Client()
    assert 'data-live-subscribe="/live/questions"' in client.get("/").text
    page = client.get(f"/question/{question.pk}/").text
    assert f'data-live-subscribe="/live/question-{question.pk}"' in page
    client.force_login(alice)
    tag_id = question.tags.get().pk
    page = client.get("/tag/python/").text
    assert f'data-live-subscribe="/live/user-{alice.pk}/tag-{tag_id}"' in page
    assert (
        f'data-live-subscribe="/live/user-{alice.pk}/unanswered"' in client.get("/unanswered/").text
    )


@pytest.fixture
def published(monkeypatch, settings):
    settings.LIVE_BACKEND = "nchan"
    sent = []
    monkeypatch.setattr(publisher, "publish_to", lambda ch, msg, what="": sent.append((ch, msg)))
    return sent


def test_typing_pings_are_throttled_and_for_members_only(published, alice, bob):
    question = make_question(alice)
    client = Client(enforce_csrf_checks=False)
    assert client.post(f"/question/{question.pk}/typing/").status_code == 401
    assert client.get(f"/question/{question.pk}/typing/").status_code == 405
    client.force_login(bob)
    assert client.post("/question/999999/typing/").status_code == 404
    for _ in range(3):
        assert client.post(f"/question/{question.pk}/typing/").status_code == 200
    assert len(published) == 1
    channels, message = published[0]
    assert channels == [f"question-{question.pk}"]
    assert message["type"] == "typing" and message["user"] == bob.pk


def test_presence_pushes_the_comet_server_s_count_when_it_changes(published, alice, monkeypatch):
    question = make_question(alice)
    counts = iter([3, 3, 2])
    monkeypatch.setattr(publisher, "subscriber_count", lambda channel: next(counts))
    client = Client()
    bodies = [client.get(f"/question/{question.pk}/presence/").json() for _ in "abc"]
    assert [body["readers"] for body in bodies] == [3, 3, 2]
    assert [msg["readers"] for _, msg in published] == [3, 2]
    # Each reading says when it was taken, so a page can drop one that arrives out of order.
    times = [body["at"] for body in bodies]
    assert times == sorted(times) and [msg["at"] for _, msg in published] == [times[0], times[2]]
    # A reading that finishes after a newer one was pushed (two asks in flight) is not pushed.
    cache.set(PRESENCE_KEY.format(question.pk), (3, times[2] + 60_000), 3600)
    counts = iter([1])
    assert client.get(f"/question/{question.pk}/presence/").json()["readers"] == 1
    assert len(published) == 2
    assert client.get("/question/999999/presence/").status_code == 404


def test_list_catch_up_sends_newer_questions_of_that_list_and_card_numbers(alice):
    old = make_question(alice, tags=["python"])
    newer = make_question(alice, tags=["python"])
    other = make_question(alice, tags=["rust"])
    tag_id = old.tags.get().pk
    client = Client()
    body = client.get(
        "/questions/live/", {"channel": f"tag-{tag_id}", "after": old.pk, "cards": f"{old.pk}"}
    ).json()
    assert [m["id"] for m in body["messages"]] == [newer.pk]
    assert body["cards"][0]["id"] == old.pk and 'data-card-counts="' in body["cards"][0]["html"]
    body = client.get("/questions/live/", {"channel": "questions", "after": old.pk}).json()
    assert [m["id"] for m in body["messages"]] == [newer.pk, other.pk]  # oldest first
    for bad in (
        {"channel": "question-1"},
        {"channel": "nope"},
        {"channel": "questions", "after": "x"},
        {"channel": "questions", "cards": "1,x"},
        {"channel": "questions", "cards": "0"},
    ):
        assert client.get("/questions/live/", bad).status_code == 400, bad
    assert client.post("/questions/live/").status_code == 405


def test_a_new_question_is_published_once_to_all_its_lists(
    published, alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        question = question_create(author=alice, title="Why <b>?", text="Because.", tags=["go"])
    tag_id = question.tags.get().pk
    assert published[0][0] == ["questions", f"tag-{tag_id}", "unanswered"]
    assert published[0][1]["type"] == "question"
    assert "Why &lt;b&gt;?" in published[0][1]["html"]
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        vote_set(user=bob, target=question, value=1)
    kinds = [(msg["type"], tuple(ch)) for ch, msg in published]
    assert ("card", ("questions", f"tag-{tag_id}", "unanswered")) in kinds
    assert json.loads(json.dumps(published[-1][1]))["rating"] == 1
