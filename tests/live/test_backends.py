"""What both comet backends must do the same way, run against each: Nchan (Debian's
libnginx-mod-nchan) and push-stream (when PUSH_STREAM_NGINX points at an nginx built with it).
What only Nchan needs is in test_nchan.py."""

import json
import socket
import time

import pytest
import requests

from live import publisher
from tests.helpers import make_answer, make_question

pytestmark = pytest.mark.live


def test_publish_reaches_a_subscriber_exactly(comet):
    reader = comet.subscribe(33)
    comet.sync("question-33", [reader])
    message = {
        "type": "answer",
        "question": 33,
        "answer": 812,
        "page": 3,
        "index": 4,
        "answers_count": 61,
        "html": '<article id="answer-812">&lt;img src=x onerror=alert(1)&gt; ünïcödé\n</article>',
    }

    assert publisher.publish_url("question-33").endswith(comet.publish_path("question-33"))
    assert publisher.publish(33, message) is True

    events = reader.wait_events(1)
    reader.close()
    assert [json.loads(event["data"]) for event in events] == [message]


def test_other_questions_do_not_hear_it(comet):
    reader = comet.subscribe(34)
    comet.sync("question-34", [reader])
    publisher.publish(33, {"type": "vote", "target": "question", "id": 33, "rating": 1})
    publisher.publish(34, {"type": "vote", "target": "question", "id": 34, "rating": 2})
    events = reader.wait_events(1)
    time.sleep(0.2)
    reader.close()
    assert [json.loads(e["data"])["id"] for e in events] == [34]


def test_votes_and_correct_marks_are_published(comet, alice, bob):
    question = make_question(alice)
    answer = make_answer(question, bob)
    reader = comet.subscribe(question.pk)
    comet.sync(f"question-{question.pk}", [reader])

    assert publisher.publish_vote("answer", answer, 5)
    assert publisher.publish_correct(answer, True)

    events = reader.wait_events(2)
    reader.close()
    assert [json.loads(e["data"]) for e in events] == [
        {"type": "vote", "target": "answer", "id": answer.pk, "rating": 5},
        {"type": "correct", "answer": answer.pk, "correct": True},
    ]


def test_a_fresh_page_is_not_replayed_the_backlog(comet):
    """A page that was just rendered wants only what comes next, whatever id it sends."""
    publisher.publish(35, {"n": "old-1"})
    publisher.publish(35, {"n": "old-2"})
    reader = comet.subscribe(35, headers={"Last-Event-ID": "1"})
    comet.sync("question-35", [reader])
    publisher.publish(35, {"n": "new"})
    events = reader.wait_events(1)
    time.sleep(0.2)
    reader.close()
    assert [json.loads(e["data"]) for e in events] == [{"n": "new"}]


def test_the_publisher_is_unreachable_from_the_public_port(comet):
    reader = comet.subscribe(1)
    comet.sync("question-1", [reader])
    for path in ("/pub/question-1", "/pub?id=question-1", "/pub"):
        response = requests.post(comet.site_url + path, data='{"n": 1}', timeout=2)
        assert response.status_code in (403, 404), path
    assert (
        requests.post(f"{comet.site_url}/live/question-1", data="x", timeout=2).status_code == 403
    )
    time.sleep(0.2)
    reader.close()
    assert reader.events == []
    # The publisher's server block listens on the loopback interface only.
    assert f"listen 127.0.0.1:{comet.publish_port};" in comet.conf.read_text()
    other_ips = {
        info[4][0]
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        if not info[4][0].startswith("127.")
    }
    for ip in other_ips:
        with pytest.raises(OSError):
            socket.create_connection((ip, comet.publish_port), timeout=1).close()


def test_bad_channel_names_never_reach_the_publisher(comet):
    for bad in ("question-abc", "question-0", "answer-1", "question-1-2", "question-", "x"):
        with pytest.raises(ValueError):
            publisher.publish_url(bad)
    for bad_id in (0, -3, "1; rm", "../1", None, True):
        assert publisher.publish(bad_id, {"type": "x"}) is False


def test_publish_fails_fast_and_quietly_when_nginx_is_down(comet, caplog):
    comet.stop()
    started = time.monotonic()
    assert publisher.publish(38, {"type": "vote"}) is False
    assert time.monotonic() - started < 0.6
    assert "live publish for question 38 failed" in caplog.text


def test_subscribers_get_everything_after_a_restart(comet):
    readers = [comet.subscribe(40) for _ in range(4)]
    comet.sync("question-40", readers)
    comet.restart()
    comet.sync("question-40", readers)
    for n in range(3):
        comet.publish("question-40", {"n": n})
    for reader in readers:
        reader.wait_events(3)
    time.sleep(0.2)
    for reader in readers:
        reader.close()
    assert comet.crashes() == []
    for reader in readers:
        assert [json.loads(data)["n"] for data in reader.data()] == [0, 1, 2]


def test_a_message_too_big_for_the_comet_server_arrives_as_a_fetch_notice(comet, settings):
    """~300 KB of answer HTML: the comet server refuses it (413), so readers get a small
    notice that makes their page fetch the answer from the catch-up endpoint."""
    message = {"type": "answer", "question": 44, "answer": 9, "html": "é" * 300_000}
    reader = comet.subscribe(44)
    comet.sync("question-44", [reader])

    settings.LIVE_MAX_MESSAGE_BYTES = 10**7  # without the notice: refused, nobody hears it
    assert publisher.publish(44, message) is False
    settings.LIVE_MAX_MESSAGE_BYTES = 128 * 1024
    assert publisher.publish(44, message) is True

    events = reader.wait_events(1)
    time.sleep(0.2)
    reader.close()
    assert [json.loads(e["data"]) for e in events] == [
        {"type": "fetch", "question": 44, "of": "answer"}
    ]
