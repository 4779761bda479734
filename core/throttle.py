"""Per-user (or per-address) rate limits on posting, on the cache framework.

Fixed windows: one counter per scope, identity and window (`cache.add` then `cache.incr`), so
every gunicorn worker and node sees the same count (the cache is file-based or memcached, never
per process). Limits are in settings.THROTTLE_RATES: {"answer": (20, 600), ...} = 20 per 10
minutes. A cache that cannot count lets the request through: a throttle must never lose a post.

Pages show the refusal as a form error (the form keeps what was typed); JSON endpoints answer
429 with Retry-After.
"""

import ipaddress
import logging
import time
from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind our nginx the address nginx saw.

    nginx appends the address it saw to X-Forwarded-For, so the right-most entry that is not one
    of our proxies (THROTTLE_TRUSTED_PROXIES) is the client; anything left of it was sent by the
    client and can be forged. Also AXES_CLIENT_IP_CALLABLE, so logins and posts agree.
    """
    remote = request.META.get("REMOTE_ADDR", "")  # empty: gunicorn on a unix socket, a proxy
    if remote and not _trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for candidate in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _is_ip(candidate):
            break  # garbage the client sent: stop at what our proxy vouched for
        if not _trusted(candidate):
            return candidate
        remote = candidate
    return remote or "unknown"


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net) for net in settings.THROTTLE_TRUSTED_PROXIES)


def hit(scope: str, ident: object) -> int | None:
    """Count one action; None when it is within the limit, else the seconds until it is."""
    if not settings.THROTTLE_ENABLED:
        return None
    limit, period = settings.THROTTLE_RATES[scope]
    now = time.time()
    window = int(now // period)
    key = f"throttle:{scope}:{ident}:{window}"
    try:
        cache.add(key, 0, timeout=period + 1)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 — a cache that cannot count lets the action through
        logger.warning("throttle %s: cache unavailable, not counting", scope, exc_info=True)
        return None
    if count <= limit:
        return None
    return max(1, int((window + 1) * period - now) + 1)


def user_key(request: HttpRequest) -> str:
    return f"user-{request.user.pk}" if request.user.is_authenticated else client_ip(request)


def wait_message(seconds: int) -> str:
    minutes = (seconds + 59) // 60
    if seconds < 90:
        text = ngettext(
            "You are doing that too often. Please wait %(n)d second and try again.",
            "You are doing that too often. Please wait %(n)d seconds and try again.",
            seconds,
        )
        return text % {"n": seconds}
    text = ngettext(
        "You are doing that too often. Please wait %(n)d minute and try again.",
        "You are doing that too often. Please wait %(n)d minutes and try again.",
        minutes,
    )
    return text % {"n": minutes}


def allow(request: HttpRequest, scope: str, form: forms.Form, field: str | None = None) -> bool:
    """For pages: count the action; when over the limit add a form error and return False."""
    wait = hit(scope, user_key(request))
    if wait is None:
        return True
    form.add_error(field, forms.ValidationError(wait_message(wait), code="throttled"))
    return False


def throttled(scope: str) -> Callable:
    """For JSON endpoints, under json_endpoint (which has checked the method and the login)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            wait = hit(scope, user_key(request))
            if wait is not None:
                response = JsonResponse({"error": wait_message(wait)}, status=429)
                response["Retry-After"] = str(wait)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
