"""Every live channel in one place: its name, the URL a page subscribes to, the URL Django
publishes to, and the patterns nginx's locations are rendered from (deploy/nginx.py).

Channels:
- `question-<id>`: answers, votes, marks, edits, comments, deletions and presence of a question;
- `questions` (every list: new questions for `/`, live card numbers for `/` and `/hot/`),
  `tag-<id>` (the same for one tag's list), `unanswered` (the unanswered list);
- `user-<id>`: one member's inbox. Private: nginx asks Django (auth_request, live/views.py
  `subscribe_auth`) whether the session is that member before subscribing.

A page opens one connection for all its channels: `/live/<channel>[/<channel>…]`. Public
channels go to a location nginx serves without Django; a path that starts with a user channel
goes to the private location. Both comet servers split the path into channels at "/" (Nchan:
`nchan_channel_id_split_delimiter`, push-stream natively), and both publish one message to
several channels in one request (`/pub/a/b`, `/pub?id=a/b`).

Importable without Django settings (nginx's renderer uses the patterns); the URL builders read
settings only when called.
"""

import re
from collections.abc import Iterable

from django.conf import settings

# An id as it appears in a channel name and in a URL: a positive BigAutoField value without
# leading zeros. 18 digits stay below 2**63, so nginx's regex and ours agree on every id the
# database can hand out, and no id is refused by one and accepted by the other.
ID_PATTERN = "[1-9][0-9]{0,17}"

QUESTION_PREFIX = "question-"
TAG_PREFIX = "tag-"
USER_PREFIX = "user-"
QUESTIONS = "questions"
UNANSWERED = "unanswered"

PUBLIC_CHANNEL_PATTERN = (
    f"(?:{QUESTION_PREFIX}{ID_PATTERN}|{TAG_PREFIX}{ID_PATTERN}|{QUESTIONS}|{UNANSWERED})"
)
USER_CHANNEL_PATTERN = f"{USER_PREFIX}{ID_PATTERN}"
CHANNEL_PATTERN = f"(?:{PUBLIC_CHANNEL_PATTERN}|{USER_CHANNEL_PATTERN})"

# A page subscribes to at most this many public channels besides its user channel, and a
# message is published to at most PUBLISH_MAX channels at once (a question, its three tags, the
# lists).
SUBSCRIBE_MAX_PUBLIC = 3
PUBLISH_MAX = 8

PUBLIC_CHANNEL_RE = re.compile(rf"^{PUBLIC_CHANNEL_PATTERN}$")
USER_CHANNEL_RE = re.compile(rf"^{USER_PREFIX}({ID_PATTERN})$")
CHANNEL_RE = re.compile(rf"^{CHANNEL_PATTERN}$")
QUESTION_CHANNEL_RE = re.compile(rf"^{QUESTION_PREFIX}({ID_PATTERN})$")

# Public paths; nginx serves them (subscriber) and never lets them reach the app.
SUBSCRIBE_PREFIX = "/live/"

_MORE_PUBLIC = SUBSCRIBE_MAX_PUBLIC - 1
_PUBLIC_LIST = rf"{PUBLIC_CHANNEL_PATTERN}(?:/{PUBLIC_CHANNEL_PATTERN}){{0,{_MORE_PUBLIC}}}"
_PUBLISH_LIST = rf"{CHANNEL_PATTERN}(?:/{CHANNEL_PATTERN}){{0,{PUBLISH_MAX - 1}}}"

_PRIVATE_LIST = rf"{USER_CHANNEL_PATTERN}(?:/{PUBLIC_CHANNEL_PATTERN}){{0,{SUBSCRIBE_MAX_PUBLIC}}}"

# What deploy/nginx.py substitutes into the templates in deploy/nginx/. nginx picks the location
# by the request's own normalised URI, so which paths are private is decided there and nowhere
# else (not by a map in the auth subrequest, whose $uri is its own).
NGINX_PATTERNS = {
    # The subscriber locations; $1: the page's channels, "/"-separated. Public ones only: no
    # Django round trip. A user channel first and then public ones: auth_request to Django.
    "LIVE_PUBLIC_LOCATION": rf"^{SUBSCRIBE_PREFIX}({_PUBLIC_LIST})$",
    "LIVE_PRIVATE_LOCATION": rf"^{SUBSCRIBE_PREFIX}({_PRIVATE_LIST})$",
    # One or more channels, "/"-separated: the publisher's path (Nchan) or ?id= (push-stream).
    "LIVE_PUBLISH_CHANNELS": _PUBLISH_LIST,
}
_PRIVATE_PATH_RE = re.compile(
    rf"^{SUBSCRIBE_PREFIX}{USER_PREFIX}({ID_PATTERN})(?:/{PUBLIC_CHANNEL_PATTERN}){{0,{SUBSCRIBE_MAX_PUBLIC}}}$"
)


def _checked_id(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"invalid {what} id {value!r}")
    if not re.fullmatch(ID_PATTERN, str(value)):
        raise ValueError(f"invalid {what} id {value!r}")
    return value


def question_channel(question_id: int) -> str:
    """`question-<id>`: everything that happens on one question's page."""
    return f"{QUESTION_PREFIX}{_checked_id(question_id, 'question')}"


def tag_channel(tag_id: int) -> str:
    """`tag-<id>`: new questions and card numbers of one tag's list."""
    return f"{TAG_PREFIX}{_checked_id(tag_id, 'tag')}"


def user_channel(user_id: int) -> str:
    """`user-<id>`: one member's inbox (private)."""
    return f"{USER_PREFIX}{_checked_id(user_id, 'user')}"


def list_channels(*, tag_ids: Iterable[int] = (), unanswered: bool = False) -> list[str]:
    """The list channels a question belongs to: every list, its tags', and unanswered while it
    is."""
    names = [QUESTIONS, *(tag_channel(pk) for pk in tag_ids)]
    if unanswered:
        names.append(UNANSWERED)
    return names


def subscribe_url(channels: Iterable[str], user_id: int | None = None) -> str:
    """The one path a page's EventSource opens for its public `channels` (and, for a member,
    their private inbox channel first)."""
    public = list(dict.fromkeys(channels))
    for name in public:
        if not PUBLIC_CHANNEL_RE.match(name):
            raise ValueError(f"invalid public channel name {name!r}")
    if len(public) > SUBSCRIBE_MAX_PUBLIC:
        raise ValueError(f"at most {SUBSCRIBE_MAX_PUBLIC} public channels a page")
    if user_id is not None:
        public.insert(0, user_channel(user_id))
    if not public:
        raise ValueError("no channel to subscribe to")
    return SUBSCRIBE_PREFIX + "/".join(public)


def private_user_id(path: str) -> int | None:
    """The member whose private channel a subscribe path asks for (None: not a private path)."""
    match = _PRIVATE_PATH_RE.match(path)
    return int(match.group(1)) if match else None


def publish_url(channels: str | Iterable[str]) -> str:
    """The internal URL Django POSTs one message to, for one or several channels (Nchan:
    /pub/<a>/<b>, push-stream: /pub?id=<a>/<b>); a GET on one channel's URL answers its
    subscriber count."""
    names = [channels] if isinstance(channels, str) else list(dict.fromkeys(channels))
    if not names or len(names) > PUBLISH_MAX:
        raise ValueError(f"publish to 1 to {PUBLISH_MAX} channels, not {len(names)}")
    for name in names:
        if not CHANNEL_RE.match(name):
            raise ValueError(f"invalid channel name {name!r}")
    base = settings.LIVE_PUBLISH_URL.rstrip("/")
    path = "/".join(names)
    if settings.LIVE_BACKEND == "push_stream":
        return f"{base}/pub?id={path}"
    return f"{base}/pub/{path}"
