"""Posting is rate-limited per user (signup per address), in the cache shared by all workers.

Pages say so in the form, which keeps what was typed; JSON endpoints answer 429.
"""

import re
import time

import pytest
from django.core import mail

from core import throttle
from qa.models import Answer, AnswerVote, Question

from .helpers import client_for, csrf_post, make_answer, make_question

pytestmark = pytest.mark.django_db
WAIT = "You are doing that too often. Please wait"


@pytest.fixture
def rates(settings):
    def set_rate(scope, count, seconds=3600):
        settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, scope: (count, seconds)}

    return set_rate


def ask(client, title):
    return csrf_post(client, "/ask/", {"title": title, "text": "A question long enough here."})


def test_asking_too_often_is_a_form_error_that_keeps_the_question(alice, bob, rates):
    rates("question", 2)
    client = client_for(alice)
    assert ask(client, "First question of mine").status_code == 302
    assert ask(client, "Second question of mine").status_code == 302
    response = ask(client, "Third question of mine")
    body = response.content.decode()
    assert response.status_code == 400
    assert re.search(r"Please wait \d+ (minutes|seconds) and try again", body)
    assert 'value="Third question of mine"' in body and "A question long enough here." in body
    assert Question.objects.count() == 2
    assert ask(client_for(bob), "Bob is not throttled").status_code == 302


def test_invalid_questions_do_not_count(alice, rates):
    rates("question", 1)
    client = client_for(alice)
    for _ in range(3):
        assert ask(client, "short").status_code == 400
    assert ask(client, "Now a real question").status_code == 302


def test_answering_too_often_keeps_the_answer(alice, bob, rates):
    rates("answer", 1, 600)
    question = make_question(alice)
    client = client_for(bob)
    assert csrf_post(client, question.get_absolute_url(), {"text": "One"}).status_code == 302
    response = csrf_post(client, question.get_absolute_url(), {"text": "Two, typed with care"})
    body = response.content.decode()
    assert response.status_code == 400
    assert WAIT in body and "Two, typed with care" in body
    assert Answer.objects.count() == 1


@pytest.mark.parametrize("kind", ["question", "answer"])
def test_voting_too_often_is_a_429(alice, bob, carol, rates, kind):
    rates("vote", 3, 60)
    question = make_question(alice)
    target = question if kind == "question" else make_answer(question, alice)
    url = f"/{kind}/{target.pk}/vote/"
    client = client_for(bob)
    for value in (1, -1, 0):
        assert csrf_post(client, url, {"value": value}).status_code == 200
    response = csrf_post(client, url, {"value": 1})
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert WAIT in response.json()["error"]
    assert 1 <= int(response["Retry-After"]) <= 61
    assert not AnswerVote.objects.filter(value=1).exists()
    assert csrf_post(client_for(carol), url, {"value": 1}).status_code == 200
    assert csrf_post(client_for(), url, {"value": 1}).status_code == 401  # not counted, 401


def test_marking_correct_too_often_is_a_429(alice, bob, rates):
    rates("correct", 2, 60)
    answer = make_answer(make_question(alice), bob)
    url = f"/answer/{answer.pk}/correct/"
    client = client_for(alice)
    assert csrf_post(client, url, {"correct": "true"}).status_code == 200
    assert csrf_post(client, url, {"correct": "false"}).status_code == 200
    assert csrf_post(client, url, {"correct": "true"}).status_code == 429
    answer.refresh_from_db()
    assert answer.is_correct is False


def test_profile_saves_and_avatar_uploads_are_limited(alice, rates):
    from .test_accounts import image_upload

    rates("profile", 2)
    client = client_for(alice)
    for _ in range(2):
        data = {"email": "alice@example.com", "avatar": image_upload()}
        assert csrf_post(client, "/profile/edit/", data).status_code == 302
    data = {"email": "alice@new.example", "display_name": "Al", "avatar": image_upload()}
    response = csrf_post(client, "/profile/edit/", data)
    body = response.content.decode()
    assert response.status_code == 429 and WAIT in body
    assert 'value="alice@new.example"' in body and 'value="Al"' in body
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def signup(username, email, address):
    data = {
        "username": username,
        "email": email,
        "password1": "a-long-pass-phrase",
        "password2": "a-long-pass-phrase",
    }
    return csrf_post(client_for(), "/signup/", data, REMOTE_ADDR=address)


def test_signups_are_limited_per_address(db, rates):
    rates("signup", 2)
    assert signup("dave", "bad-email", "10.0.0.1").status_code == 400  # every attempt counts
    assert signup("dave", "dave@example.com", "10.0.0.1").status_code == 302
    response = signup("erin", "erin@example.com", "10.0.0.1")
    body = response.content.decode()
    assert response.status_code == 429 and WAIT in body
    assert 'value="erin"' in body and 'value="erin@example.com"' in body
    assert "a-long-pass-phrase" not in body
    assert signup("erin", "erin@example.com", "10.0.0.2").status_code == 302


def test_probing_a_taken_email_is_bounded_and_tells_its_owner(alice, rates):
    """The form must say the address is taken (no e-mail verification to hide behind), so the
    rate is bounded per address and the owner hears of it, once a day."""
    rates("signup", 3)
    for i in range(3):
        response = signup(f"probe{i}", "ALICE@example.com", "10.0.0.1")
        assert response.status_code == 400
        assert "An account with this e-mail already exists" in response.content.decode()
    assert signup("probe9", "someone@example.com", "10.0.0.1").status_code == 429
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["alice@example.com"]
    assert "tried to create a new AskMe account" in notice.body and "alice" in notice.body


def test_a_window_passes(alice, rates):
    rates("vote", 1, 1)
    assert throttle.hit("vote", "someone") is None
    assert throttle.hit("vote", "someone") == 1
    time.sleep(1.05)
    assert throttle.hit("vote", "someone") is None


def test_a_cache_that_cannot_count_lets_posts_through(alice, rates, settings):
    rates("question", 0)
    assert ask(client_for(alice), "Refused while the cache counts").status_code == 400
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": "127.0.0.1:9",  # nothing listens there
            "OPTIONS": {"connect_timeout": 0.2, "timeout": 0.2},
        }
    }
    assert ask(client_for(alice), "Saved although the cache is down").status_code == 302


def test_throttling_can_be_switched_off(alice, rates, settings):
    rates("question", 0)
    settings.THROTTLE_ENABLED = False
    assert ask(client_for(alice), "Benchmarks post freely").status_code == 302
