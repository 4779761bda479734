import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.cache import never_cache

from community.queries import unanswered
from core.decorators import json_endpoint
from qa.models import Question, Tag

from . import channels, publisher
from .messages import (
    answer_messages_after,
    answers_label,
    card_message,
    changes_since,
    question_message,
)

CATCH_UP_LIMIT = 100
MAX_ID = 2**63 - 1  # the largest BigAutoField value; a larger one would overflow the query
# Changes are looked up by their time: a page asks from a little before it was rendered, so
# a change committed while the page was being rendered is sent (again) rather than missed.
SINCE_MARGIN_MS = 5000


def since_ms() -> int:
    """The `since` a page rendered now should start from (milliseconds since the epoch)."""
    return int(timezone.now().timestamp() * 1000) - SINCE_MARGIN_MS


def _int_param(request: HttpRequest, name: str, low: int, high: int) -> int | None:
    try:
        value = int(request.GET.get(name, "0"))
    except ValueError:
        return None
    return value if low <= value <= high else None


@json_endpoint(methods=("GET",), login=False)
def question_live(request: HttpRequest, question_id: int) -> JsonResponse:
    """What changed on a question page, as the same messages the comet server pushes: answers
    newer than ?after=<answer id> (`more`: ask again from the last of them), and edits,
    comments and deletions since ?since=<ms since the epoch> (`since`: the value to send
    next time)."""
    question = get_object_or_404(Question, pk=question_id)
    after = _int_param(request, "after", 0, MAX_ID)
    if after is None:
        return JsonResponse({"error": "after must be an answer id"}, status=400)
    since = _int_param(request, "since", 0, 253402300799999)  # up to the year 9999
    if since is None:
        return JsonResponse({"error": "since must be milliseconds since the epoch"}, status=400)
    next_since = since_ms()
    messages, more = answer_messages_after(question, after, CATCH_UP_LIMIT)
    if since:
        messages += changes_since(question, datetime.fromtimestamp(since / 1000, UTC))
    return JsonResponse(
        {
            "messages": messages,
            "answers_count": question.answers_count,
            "answers_label": answers_label(question.answers_count),
            "more": more,
            "since": next_since,
        }
    )


@never_cache
def subscribe_auth(request: HttpRequest) -> HttpResponse:
    """nginx's auth_request for a subscribe path that starts with a member's inbox channel
    (deploy/nginx/common/public.conf): 204 when this session is that member, else 403. nginx
    sends the path in X-Original-URI and the browser's cookies as they came."""
    path = urlsplit(request.headers.get("x-original-uri", "")).path
    user_id = channels.private_user_id(path)
    user = request.user
    if user_id is not None and user.is_authenticated and user.is_active and user.pk == user_id:
        return HttpResponse(status=204)
    return HttpResponse(status=403)


PRESENCE_KEY = "live:presence:{}"


@json_endpoint(methods=("GET",), login=False)
def question_presence(request: HttpRequest, question_id: int) -> JsonResponse:
    """How many read this question now: the comet server's own subscriber count of its channel
    (no table of readers). A page asks when it connects and when it leaves; when the number
    differs from the one last pushed, it is pushed to every reader (one publish).

    Two asks in flight can finish in the other order than they read: each reading carries the
    time it was taken (`at`, ms), pages keep the newest one, and a reading older than the one
    last pushed is never pushed (nor remembered), so it cannot hide a newer count."""
    if not Question.objects.filter(pk=question_id).exists():
        return JsonResponse({"error": "not found"}, status=404)
    at = int(time.time() * 1000)
    readers = publisher.subscriber_count(channels.question_channel(question_id))
    if readers is None:
        return JsonResponse({"readers": None})
    key = PRESENCE_KEY.format(question_id)
    last = cache.get(key)
    last_readers, last_at = last if isinstance(last, tuple) and len(last) == 2 else (None, 0)
    if at >= last_at and readers != last_readers:
        cache.set(key, (readers, at), 3600)
        message = {"type": "presence", "question": question_id, "readers": readers, "at": at}
        publisher.publish(question_id, message)
    return JsonResponse({"readers": readers, "at": at})


TYPING_EVERY = 4  # seconds: at most one typing message per member and question


@json_endpoint(methods=("POST",))
def question_typing(request: HttpRequest, question_id: int) -> JsonResponse:
    """A member is writing an answer: tell the question's readers (at most one message every
    TYPING_EVERY seconds per member; pages forget it 10 s after the last)."""
    question = get_object_or_404(Question, pk=question_id)
    user = request.user
    if cache.add(f"live:typing:{question.pk}:{user.pk}", 1, TYPING_EVERY):
        publisher.publish(
            question.pk,
            {
                "type": "typing",
                "question": question.pk,
                "user": user.pk,
                "name": user.profile.name,
            },
        )
    return JsonResponse({"ok": True})


LIST_CATCH_UP = 20
CARDS_MAX = 50


def _list_queryset(channel: str):
    if channel == channels.QUESTIONS:
        return Question.objects.new()
    if channel == channels.UNANSWERED:
        return unanswered()  # newest first; only the few newer than `after` are probed
    tag_id = int(channel.removeprefix(channels.TAG_PREFIX))
    tag = Tag.objects.filter(pk=tag_id).first()
    return Question.objects.tagged(tag) if tag else Question.objects.none()


@json_endpoint(methods=("GET",), login=False)
def list_live(request: HttpRequest) -> JsonResponse:
    """What a list page missed while it was not connected, as the pushed messages: the newest
    questions of its list (`channel`: questions, unanswered or tag-<id>) with an id above
    `after` (oldest first, at most LIST_CATCH_UP; `more`: there were more), and the cards of
    the questions it shows (`cards`: comma-separated ids) with their numbers now."""
    channel = request.GET.get("channel", "")
    if channel.startswith(channels.QUESTION_PREFIX) or not channels.PUBLIC_CHANNEL_RE.match(
        channel
    ):
        return JsonResponse({"error": "channel must be a list's channel"}, status=400)
    after = _int_param(request, "after", 0, MAX_ID)
    if after is None:
        return JsonResponse({"error": "after must be a question id"}, status=400)
    try:
        ids = [int(x) for x in request.GET.get("cards", "").split(",") if x][:CARDS_MAX]
    except ValueError:
        return JsonResponse({"error": "cards must be question ids"}, status=400)
    if any(not 0 < pk <= MAX_ID for pk in ids):
        return JsonResponse({"error": "cards must be question ids"}, status=400)
    newer = list(_list_queryset(channel).filter(pk__gt=after)[: LIST_CATCH_UP + 1])
    more = len(newer) > LIST_CATCH_UP
    newer = newer[:LIST_CATCH_UP]
    cards = Question.objects.filter(pk__in=ids).only("pk", "rating", "answers_count")
    return JsonResponse(
        {
            "messages": [question_message(q) for q in reversed(newer)],
            "cards": [card_message(q) for q in cards],
            "more": more,
        }
    )
