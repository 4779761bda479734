"""The catch-up endpoint and what the Q&A services publish (no nginx needed for most)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from live import messages, publisher, views
from qa.models import ANSWERS_PER_PAGE
from qa.services import answer_create, answer_mark_correct, vote_set
from tests.helpers import client_for, csrf_post, make_answer, make_question

from .harness import SSEClient

pytestmark = pytest.mark.django_db


def catch_up(client, question, after):
    return client.get(f"/question/{question.pk}/live/", {"after": after})


def test_catch_up_returns_newer_answers_as_pushed_messages(alice, bob):
    question = make_question(alice)
    old = make_answer(question, alice, text="old")
    new1 = make_answer(question, bob, text="<img src=x onerror=alert(1)>")
    new2 = make_answer(question, bob, text="newest")

    body = catch_up(client_for(), question, old.pk).json()

    assert [m["answer"] for m in body["messages"]] == [new1.pk, new2.pk]
    assert body["answers_count"] == 3
    first = body["messages"][0]
    assert first == messages.answer_message(new1.pk)
    assert first["type"] == "answer" and first["question"] == question.pk and first["page"] == 1
    assert "<img src=x" not in first["html"] and "&lt;img src=x onerror=alert(1)&gt;" in first[
        "html"
    ].replace("&quot;", '"')
    assert f'id="answer-{new1.pk}"' in first["html"]


def test_catch_up_knows_the_page_of_each_answer(alice, bob):
    question = make_question(alice)
    for _ in range(ANSWERS_PER_PAGE):
        make_answer(question, alice)
    late = make_answer(question, bob)
    body = catch_up(client_for(), question, late.pk - 1).json()
    assert [(m["answer"], m["page"], m["index"]) for m in body["messages"]] == [(late.pk, 2, 0)]
    assert body["answers_label"] == f"{ANSWERS_PER_PAGE + 1} answers"


def test_messages_place_each_answer_where_the_page_renders_it(alice, bob, carol):
    """page and index in a message are the answer's place in the page order (rating desc,
    then oldest first): live.js inserts it there without sorting anything itself."""
    question = make_question(alice)
    ratings = [3, 0, 5, 0, -1, 3] + [1] * ANSWERS_PER_PAGE
    answers = [make_answer(question, bob, rating=r) for r in ratings]
    rendered = []
    for number in (1, 2):
        page = client_for(carol).get(f"/question/{question.pk}/", {"page": number})
        rendered += [a.pk for a in page.context["answers"]]
    body = catch_up(client_for(), question, 0).json()
    placed = sorted(body["messages"], key=lambda m: (m["page"], m["index"]))
    assert [m["answer"] for m in placed] == rendered
    assert [(m["page"], m["index"]) for m in placed] == [
        (n // ANSWERS_PER_PAGE + 1, n % ANSWERS_PER_PAGE) for n in range(len(answers))
    ]


def test_catch_up_messages_equal_the_pushed_ones_on_every_page(alice, bob):
    question = make_question(alice)
    answers = [make_answer(question, bob, rating=n % 3) for n in range(ANSWERS_PER_PAGE + 5)]
    body = catch_up(client_for(), question, 0).json()
    assert body["messages"] == [messages.answer_message(answer.pk) for answer in answers]
    assert {m["page"] for m in body["messages"]} == {1, 2}


def test_catch_up_costs_the_same_queries_for_one_answer_or_many(
    alice, bob, django_assert_max_num_queries
):
    question = make_question(alice)
    first = make_answer(question, bob)
    client = client_for()
    with CaptureQueriesContext(connection) as one:
        assert len(catch_up(client, question, first.pk - 1).json()["messages"]) == 1
    for _ in range(10):
        make_answer(question, bob)
    with django_assert_max_num_queries(len(one)):
        assert len(catch_up(client, question, first.pk - 1).json()["messages"]) == 11


def test_catch_up_comes_in_batches_and_says_when_more_are_waiting(alice, bob, monkeypatch):
    monkeypatch.setattr(views, "CATCH_UP_LIMIT", 2)
    question = make_question(alice)
    ids = [make_answer(question, bob).pk for _ in range(5)]
    client = client_for()
    batches, after, more = [], 0, True
    while more:
        body = catch_up(client, question, after).json()
        batches.append([m["answer"] for m in body["messages"]])
        after, more = batches[-1][-1], body["more"]
    assert batches == [ids[:2], ids[2:4], ids[4:]]


def test_catch_up_rejects_garbage_and_unknown_questions(alice):
    question = make_question(alice)
    client = client_for()
    for garbage in ("x", "", "-1", "1e3", str(2**63), "9" * 40):
        assert catch_up(client, question, garbage).status_code == 400, garbage
    assert client.get("/question/999999/live/?after=0").status_code == 404
    assert csrf_post(client, f"/question/{question.pk}/live/").status_code == 405
    body = catch_up(client, question, 0).json()
    assert isinstance(body.pop("since"), int)
    assert body == {
        "messages": [],
        "answers_count": 0,
        "answers_label": "0 answers",
        "more": False,
    }


def test_the_question_page_starts_from_the_questions_newest_answer(alice, bob):
    question = make_question(alice)
    for _ in range(ANSWERS_PER_PAGE + 2):
        make_answer(question, bob)
    newest = question.answers.order_by("-pk").first()
    page1 = client_for().get(f"/question/{question.pk}/").content.decode()
    assert f'data-last-answer-id="{newest.pk}"' in page1


def test_live_off_publishes_nothing(settings, alice, bob, django_capture_on_commit_callbacks):
    settings.LIVE_BACKEND = "off"
    settings.LIVE_PUBLISH_URL = "http://127.0.0.1:9"
    question = make_question(alice)
    with django_capture_on_commit_callbacks(execute=True):
        answer_create(question=question, author=bob, text="quiet")
    assert publisher.publish(question.pk, {"type": "x"}) is False
    page = client_for().get(f"/question/{question.pk}/").content.decode()
    assert "data-live-subscribe" not in page and "live.js" not in page


def test_services_publish_after_commit(nchan, alice, bob, django_capture_on_commit_callbacks):
    question = make_question(alice)
    reader = SSEClient("127.0.0.1", nchan.site_port, f"/live/question-{question.pk}").start()
    nchan.sync(f"question-{question.pk}", [reader])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = answer_create(question=question, author=bob, text="Try **this**.")
    assert reader.wait_events(1, timeout=0.3) == []  # nothing before the commit
    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        vote_set(user=alice, target=answer, value=1)
    with django_capture_on_commit_callbacks(execute=True):
        answer_mark_correct(answer=answer, correct=True)

    events = reader.wait_events(3)
    reader.close()
    got = [json.loads(event["data"]) for event in events]
    assert {k: v for k, v in got[0].items() if k != "html"} == {
        "type": "answer",
        "question": question.pk,
        "answer": answer.pk,
        "page": 1,
        "index": 0,
        "answers_count": 1,
        "answers_label": "1 answer",
        "author": bob.pk,
        "lang": "en",  # the language its words are in (tests/test_i18n.py)
    }
    assert f'id="answer-{answer.pk}"' in got[0]["html"]
    assert "<strong>this</strong>" in got[0]["html"]
    assert got[1:] == [
        {"type": "vote", "target": "answer", "id": answer.pk, "rating": 1},
        {"type": "correct", "answer": answer.pk, "correct": True},
    ]


def test_a_broken_message_never_breaks_answering(
    settings, alice, bob, django_capture_on_commit_callbacks, monkeypatch
):
    settings.LIVE_BACKEND = "nchan"

    def broken(answer_id):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(messages, "answer_message", broken)
    question = make_question(alice)
    with django_capture_on_commit_callbacks(execute=True):
        answer = answer_create(question=question, author=bob, text="saved anyway")
    assert answer.pk and question.answers.count() == 1


def test_a_catch_up_reply_stays_bounded_with_huge_answers(alice, bob, monkeypatch):
    question = make_question(alice)
    ids = [make_answer(question, bob, text="word " * 800).pk for _ in range(4)]  # ~4 KB each
    one = len(messages.answer_message(ids[0])["html"])
    monkeypatch.setattr(messages, "CATCH_UP_HTML_CHARS", one * 3 // 2)  # room for 1.5 answers
    client = client_for()
    batches, after, more = [], 0, True
    while more:
        body = catch_up(client, question, after).json()
        batches.append([m["answer"] for m in body["messages"]])
        after, more = batches[-1][-1], body["more"]
    assert batches == [ids[:2], ids[2:4]]
