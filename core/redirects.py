"""Redirects to a target the user supplied (`?continue=`, `?next=`): only ever a local path."""

import unicodedata

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

TARGET_KEYS = ("continue", "next")


def local_path(target: str | None, request: HttpRequest) -> str | None:
    """The target when it is a path on this site (`/question/1/?page=2#a`), else None.

    A bare word is not a path: `redirect("index")` would resolve it as a URL name, and
    `redirect("x")` raises NoReverseMatch (a 500). `//host` and `/\\host` are other sites to a
    browser; a control character (tab, CR/LF, NUL) is never part of a path we link to and would
    make the Location header invalid.
    """
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return None
    if any(unicodedata.category(char)[0] == "C" for char in target):
        return None
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return target


def next_path(request: HttpRequest, default: str = "/") -> str:
    """The first valid `continue` (or `next`) target, from the POST body then the query."""
    for source in (request.POST, request.GET):
        for key in TARGET_KEYS:
            path = local_path(source.get(key), request)
            if path:
                return path
    return default


def redirect_next(request: HttpRequest, default: str = "/") -> HttpResponseRedirect:
    """Redirect to the validated target; never through `redirect()`, which reverses URL names."""
    return HttpResponseRedirect(next_path(request, default))
