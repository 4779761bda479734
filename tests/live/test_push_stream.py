"""deploy/nginx/push-stream.conf under an nginx built with nginx-push-stream-module.

Debian packages no such nginx, so these run only when PUSH_STREAM_NGINX points at one
(README, "Live answers"); without it they are skipped.
"""

import json
import time

import pytest
import requests

from live import publisher

pytestmark = pytest.mark.live


def test_publish_reaches_an_eventsource_subscriber_exactly(push_stream):
    reader = push_stream.subscribe(33)
    push_stream.sync("question-33", [reader])
    message = {
        "type": "answer",
        "question": 33,
        "answer": 812,
        "page": 3,
        "answers_count": 61,
        "html": '<article id="answer-812">&lt;img src=x onerror=alert(1)&gt; ünïcödé\n</article>',
    }

    assert publisher.publish_url("question-33").endswith("/pub?id=question-33")
    assert publisher.publish(33, message) is True

    events = reader.wait_events(1)
    reader.close()
    assert [json.loads(event["data"]) for event in events] == [message]


def test_a_fresh_page_is_not_replayed_anything(push_stream):
    publisher.publish(35, {"n": "old"})
    reader = push_stream.subscribe(35, headers={"Last-Event-ID": "1"})
    push_stream.sync("question-35", [reader])
    publisher.publish(35, {"n": "new"})
    events = reader.wait_events(1)
    time.sleep(0.2)
    reader.close()
    assert [json.loads(e["data"]) for e in events] == [{"n": "new"}]


def test_publisher_is_unreachable_from_the_public_port(push_stream):
    reader = push_stream.subscribe(1)
    push_stream.sync("question-1", [reader])
    for path in ("/pub?id=question-1", "/pub/question-1"):
        response = requests.post(push_stream.site_url + path, data='{"n": 1}', timeout=2)
        assert response.status_code in (403, 404), path
    url = f"{push_stream.site_url}/live/question/1"
    assert requests.post(url, data="x", timeout=2).status_code == 403
    time.sleep(0.2)
    reader.close()
    assert reader.events == []
    assert f"listen 127.0.0.1:{push_stream.publish_port};" in push_stream.conf.read_text()


def test_invalid_channels_are_rejected(push_stream):
    for bad in ("question-abc", "question-0", "answer-1", "question-1/question-2", "", "x.b5"):
        response = requests.post(f"{push_stream.publish_url}/pub?id={bad}", data="{}", timeout=2)
        assert response.status_code == 404, bad
    for bad in ("abc", "0", "1.b5", "1/question-2", "9" * 19):
        response = requests.get(f"{push_stream.site_url}/live/question/{bad}", timeout=2)
        assert response.status_code == 404, bad


def test_restart_with_subscribers_attached(push_stream):
    readers = [push_stream.subscribe(40) for _ in range(4)]
    push_stream.sync("question-40", readers)
    push_stream.restart()
    push_stream.sync("question-40", readers)
    for n in range(3):
        push_stream.publish("question-40", {"n": n})
    for reader in readers:
        reader.wait_events(3)
    time.sleep(0.2)
    for reader in readers:
        reader.close()
    assert push_stream.crashes() == []
    for reader in readers:
        assert [json.loads(data)["n"] for data in reader.data()] == [0, 1, 2]
