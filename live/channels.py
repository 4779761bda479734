"""Every live channel in one place: its name, the URL a page subscribes to, the URL Django
publishes to, and the patterns nginx's locations are rendered from (deploy/nginx.py).

Importable without Django settings (nginx's renderer uses the patterns); the URL builders read
settings only when called.
"""

import re

from django.conf import settings

# A question id as it appears in a channel name and in a URL: a positive BigAutoField value
# without leading zeros. 18 digits stay below 2**63, so nginx's regex and ours agree on every
# id the database can hand out, and no id is refused by one and accepted by the other.
ID_PATTERN = "[1-9][0-9]{0,17}"

QUESTION_PREFIX = "question-"
QUESTION_CHANNEL_RE = re.compile(rf"^{QUESTION_PREFIX}({ID_PATTERN})$")

# Public paths; nginx serves them (subscriber) and never lets them reach the app.
SUBSCRIBE_PREFIX = "/live/"

# What deploy/nginx.py substitutes into the templates in deploy/nginx/: the subscriber location
# captures the question id, the publisher accepts exactly our channel names.
NGINX_PATTERNS = {
    "LIVE_QUESTION_LOCATION": rf"^{SUBSCRIBE_PREFIX}question/({ID_PATTERN})$",
    "LIVE_CHANNEL_PATTERN": rf"{QUESTION_PREFIX}{ID_PATTERN}",
    "LIVE_QUESTION_CHANNEL_PREFIX": QUESTION_PREFIX,
}


def question_channel(question_id: int) -> str:
    """`question-<id>`: answers, votes and marks of one question."""
    if isinstance(question_id, bool) or not isinstance(question_id, int):
        raise ValueError(f"invalid question id {question_id!r}")
    name = f"{QUESTION_PREFIX}{question_id}"
    if not QUESTION_CHANNEL_RE.match(name):
        raise ValueError(f"invalid question id {question_id!r}")
    return name


def subscribe_url(channel: str) -> str:
    """The public path a page's EventSource opens for `channel`."""
    match = QUESTION_CHANNEL_RE.match(channel)
    if not match:
        raise ValueError(f"invalid channel name {channel!r}")
    return f"{SUBSCRIBE_PREFIX}question/{match.group(1)}"


def publish_url(channel: str) -> str:
    """The internal URL Django POSTs a message to (Nchan: /pub/<channel>, push-stream:
    /pub?id=<channel>)."""
    if not QUESTION_CHANNEL_RE.match(channel):
        raise ValueError(f"invalid channel name {channel!r}")
    base = settings.LIVE_PUBLISH_URL.rstrip("/")
    if settings.LIVE_BACKEND == "push_stream":
        return f"{base}/pub?id={channel}"
    return f"{base}/pub/{channel}"
