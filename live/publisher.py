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
from django.utils import translation

from . import messages
from .channels import publish_url, question_channel

logger = logging.getLogger(__name__)

_session = requests.Session()


def encode(message: dict) -> bytes:
    """The message as the comet server gets it; one too big for it (Nchan refuses bodies over
    the publisher's client_max_body_size with a 413, push-stream likewise) becomes a small
    notice that makes pages fetch the rest from the catch-up endpoint, so no reader silently
    misses an event."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    if len(body) <= settings.LIVE_MAX_MESSAGE_BYTES:
        return body
    notice = {"type": "fetch", "question": message.get("question"), "of": message.get("type")}
    return json.dumps(notice).encode()


def publish(question_id: int, message: dict) -> bool:
    """POST one JSON message to the question's channel; True when the comet server took it."""
    if settings.LIVE_BACKEND == "off":
        return False
    try:
        url = publish_url(question_channel(question_id))
        response = _session.post(
            url,
            data=encode(message),
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


def _publish_built(build: Callable[..., dict | None], *args) -> bool:
    """Build a message (templates, queries) only when something will carry it."""
    if settings.LIVE_BACKEND == "off":
        return False
    message = build(*args)
    if not message:
        return False
    # Words (partials, labels) are in the language of whoever caused the message; a page in
    # another language fetches the event from the catch-up endpoint in its own (live.js).
    if "html" in message or "answers_label" in message:
        message = {**message, "lang": translation.get_language() or settings.LANGUAGE_CODE}
    return publish(message["question"], message)


@_never_raises
def publish_answer(answer_id: int) -> bool:
    return _publish_built(messages.answer_message, answer_id)


@_never_raises
def publish_edit(post) -> bool:
    return _publish_built(messages.edit_message, post)


@_never_raises
def publish_answer_deleted(answer) -> bool:
    return _publish_built(messages.answer_deleted_message, answer)


@_never_raises
def publish_question_deleted(question_id: int, deleted: bool) -> bool:
    return publish(
        question_id, {"type": "question_deleted", "question": question_id, "deleted": deleted}
    )


@_never_raises
def publish_comment(comment_id: int) -> bool:
    return _publish_built(messages.comment_message, comment_id)


@_never_raises
def publish_comment_deleted(comment) -> bool:
    return publish(
        comment.question_id,
        {"type": "comment_deleted", "question": comment.question_id, "comment": comment.pk},
    )


@_never_raises
def publish_vote(kind: str, target, rating: int) -> bool:
    question_id = target.pk if kind == "question" else target.question_id
    return publish(question_id, {"type": "vote", "target": kind, "id": target.pk, "rating": rating})


@_never_raises
def publish_correct(answer, correct: bool) -> bool:
    return publish(
        answer.question_id, {"type": "correct", "answer": answer.pk, "correct": bool(correct)}
    )
