"""Publish live-answer messages to the comet server inside nginx (Nchan or push-stream).

Called from transaction.on_commit; a failure is logged and swallowed: the database is the
source of truth and readers catch up from /question/<id>/live/ after a reconnect.
"""

import functools
import json
import logging
from collections.abc import Callable

import requests
from django.conf import settings

from .channels import publish_url, question_channel

logger = logging.getLogger(__name__)

_session = requests.Session()


def publish(question_id: int, message: dict) -> bool:
    """POST one JSON message to the question's channel; True when the comet server took it."""
    if settings.LIVE_BACKEND == "off":
        return False
    try:
        url = publish_url(question_channel(question_id))
        response = _session.post(
            url,
            data=json.dumps(message),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            timeout=settings.LIVE_PUBLISH_TIMEOUT,
        )
        if response.status_code >= 300:
            logger.warning("live publish to %s answered %s", url, response.status_code)
            return False
        return True
    except (requests.RequestException, ValueError) as exc:
        logger.warning("live publish for question %s failed: %s", question_id, exc)
        return False


def _never_raises(func: Callable[..., bool]) -> Callable[..., bool]:
    """These run in transaction.on_commit, inside the user's request: log, never raise."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> bool:
        try:
            return func(*args, **kwargs)
        except Exception:  # noqa: BLE001 — the answer is saved; readers catch up later
            logger.exception("live %s failed", func.__name__)
            return False

    return wrapper


@_never_raises
def publish_answer(answer_id: int) -> bool:
    if settings.LIVE_BACKEND == "off":
        return False
    from .messages import answer_message

    message = answer_message(answer_id)
    return publish(message["question"], message) if message else False


@_never_raises
def publish_vote(kind: str, target, rating: int) -> bool:
    question_id = target.pk if kind == "question" else target.question_id
    return publish(question_id, {"type": "vote", "target": kind, "id": target.pk, "rating": rating})


@_never_raises
def publish_correct(answer, correct: bool) -> bool:
    return publish(
        answer.question_id, {"type": "correct", "answer": answer.pk, "correct": bool(correct)}
    )
