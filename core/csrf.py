"""The page's CSRF token, masked as Django masks it, with one call for the random bytes.

Django's get_token() masks the CSRF secret afresh for every page (so the token in a page's HTML
differs on every response: BREACH). Its mask is 32 characters drawn one by one by
secrets.choice(), a system call each: ~50–70 µs, a twentieth of a member's page. Here the mask
is drawn from one secrets.token_bytes() (bytes ≥ 248 are dropped, so each of the 62
characters stays equally likely) and applied with Django's own arithmetic: the token is one
Django's CsrfViewMiddleware accepts, of the same length and alphabet. A request without a CSRF
cookie yet goes to Django's get_token(), which also makes the cookie.
"""

import secrets

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.functional import SimpleLazyObject

_CHARS = CSRF_ALLOWED_CHARS
_INDEX = {char: index for index, char in enumerate(_CHARS)}
_UNBIASED = 256 - 256 % len(_CHARS)  # 248: 4 × 62


def _random_chars(count: int) -> str:
    chars: list[str] = []
    while len(chars) < count:
        chars.extend(
            _CHARS[b % len(_CHARS)] for b in secrets.token_bytes(count * 2) if b < _UNBIASED
        )
    return "".join(chars[:count])


def masked_token(request) -> str:
    """What django.middleware.csrf.get_token(request) returns."""
    secret = request.META.get("CSRF_COOKIE")
    if not secret or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: the cookie's expiry renews
    mask = _random_chars(CSRF_SECRET_LENGTH)
    try:
        cipher = "".join(
            _CHARS[(_INDEX[x] + _INDEX[y]) % len(_CHARS)] for x, y in zip(secret, mask, strict=True)
        )
    except KeyError:  # not a secret Django made
        return get_token(request)
    return mask + cipher


def context_processor(request) -> dict:
    """Replaces Django's built-in csrf context processor (listed after it, so it wins). Lazy,
    as Django's, until the member is known (read by the auth context processor listed before
    this one): a member's every page shows a form (the navbar's log-out), so the token is made
    at once and is a plain string, not a proxy that each of its uses goes through twice. An
    anonymous reader's page may have no form and then must set no cookie: lazy for them."""
    user = request.__dict__.get("user")
    if user is not None and not isinstance(user, SimpleLazyObject) and user.is_authenticated:
        return {"csrf_token": masked_token(request)}
    return {"csrf_token": SimpleLazyObject(lambda: masked_token(request))}
