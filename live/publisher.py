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

from accounts.models import Profile
from qa.models import Question

from . import messages
from .channels import list_channels, publish_url, question_channel, user_channel

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


def _request(method: str, url: str, **kwargs) -> requests.Response:
    kwargs.setdefault("timeout", settings.LIVE_PUBLISH_TIMEOUT)
    try:
        return _session.request(method, url, **kwargs)
    except requests.Timeout:
        raise  # a hung comet server: give up now (the request must stay quick)
    except requests.ConnectionError:
        # A kept-alive connection the comet server closed meanwhile (its keepalive timeout, a
        # restart) fails before it is read: once more on a new connection rather than lose the
        # event or the count. A message that got through twice is harmless: pages apply each
        # one once.
        return _session.request(method, url, **kwargs)


def _post(url: str, body: bytes) -> requests.Response:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    return _request("POST", url, data=body, headers=headers)


def publish_to(channels: list[str], message: dict, what: str = "") -> bool:
    """POST one JSON message to one or several channels in one request; True when the comet
    server took it."""
    if settings.LIVE_BACKEND == "off":
        return False
    try:
        url = publish_url(channels)
        response = _post(url, encode(message))
        if response.status_code >= 300:
            logger.warning("live publish to %s answered %s", url, response.status_code)
            return False
        return True
    except (requests.RequestException, ValueError) as exc:
        logger.warning("live publish for %s failed: %s", what or ",".join(channels), exc)
        return False


def publish(question_id: int, message: dict) -> bool:
    """POST one JSON message to the question's channel."""
    try:
        channel = question_channel(question_id)
    except ValueError as exc:
        logger.warning("live publish for question %s failed: %s", question_id, exc)
        return False
    return publish_to([channel], message, what=f"question {question_id}")


def publish_user(user_id: int, message: dict) -> bool:
    """POST one JSON message to a member's private inbox channel."""
    return publish_to([user_channel(user_id)], message)


def subscriber_count(channel: str) -> int | None:
    """How many subscribers the comet server holds on `channel` now (its own count: Nchan's
    channel info, push-stream's channel statistics; a channel nobody has opened is 0), or None
    when it cannot be asked."""
    if settings.LIVE_BACKEND == "off":
        return None
    try:
        response = _request("GET", publish_url(channel), headers={"Accept": "application/json"})
        if response.status_code == 404:
            return 0
        response.raise_for_status()
        return max(0, int(response.json()["subscribers"]))
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        logger.warning("live subscriber count of %s failed: %s", channel, exc)
        return None


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


def _with_lang(message: dict) -> dict:
    """The language a message's words are in (see _publish_built)."""
    return {**message, "lang": translation.get_language() or settings.LANGUAGE_CODE}


def _question_lists(question_id: int):
    """The question with what its card shows, and the list channels it is on (None: gone)."""
    question = Question.objects.with_cards().filter(pk=question_id).first()
    if question is None:
        return None, []
    tag_ids = [tag.pk for tag in question.tags.all()]
    return question, list_channels(tag_ids=tag_ids, unanswered=True)


@_never_raises
def publish_new_question(question_id: int) -> bool:
    """A new question's card to every list it belongs to: one publish to all their channels.
    (The unanswered list takes it too: a new question has no answers.)"""
    if settings.LIVE_BACKEND == "off":
        return False
    question, channels = _question_lists(question_id)
    return (
        publish_to(channels, _with_lang(messages.question_message(question))) if question else False
    )


@_never_raises
def publish_card(question_id: int) -> bool:
    """A question's numbers changed (a vote, an answer): its cards on every list show them."""
    if settings.LIVE_BACKEND == "off":
        return False
    question, channels = _question_lists(question_id)
    return publish_to(channels, _with_lang(messages.card_message(question))) if question else False


@_never_raises
def publish_inbox(user_id: int, notification_id: int | None = None) -> bool:
    """A member's unread count changed (a notification came, or they read them): every page
    they have open shows the count now; a new notification's words (in the page's language)
    are fetched by the page from /inbox/live/."""
    if settings.LIVE_BACKEND == "off":
        return False
    unread = Profile.objects.filter(user_id=user_id).values_list("inbox_unread", flat=True).first()
    if unread is None:
        return False
    message = {"type": "inbox", "unread": unread}
    if notification_id is not None:
        message["latest"] = notification_id
    return publish_user(user_id, message)
