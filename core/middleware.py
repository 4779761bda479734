"""Request guards that must run before Django reads request.GET or request.POST."""

import codecs
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.utils.http import parse_header_parameters

# Every printable ASCII character plus tab, CR and LF: what a query string or form body holds.
_ASCII_PROBE = "".join(chr(c) for c in range(32, 127)) + "\t\r\n"


@lru_cache(maxsize=256)
def charset_is_acceptable(name: str) -> bool:
    """True for a text encoding Python knows that leaves ASCII as ASCII.

    Django decodes the query string and form fields with the request's charset. A codec that is
    not a bytes↔str text encoding (rot13, hex, base64) or that rewrites ASCII (utf-16, utf-7,
    punycode, idna) makes that decoding raise deep inside Django: a 500 instead of a 400. What
    passes: utf-8, ascii, the latin-1/iso-8859-*/cp125x/koi8 families, shift_jis, gbk, ...
    """
    try:
        info = codecs.lookup(name)
        if not getattr(info, "_is_text_encoding", True):
            return False
        return (
            _ASCII_PROBE.encode(info.name) == _ASCII_PROBE.encode("ascii")
            and _ASCII_PROBE.encode("ascii").decode(info.name) == _ASCII_PROBE
        )
    except (LookupError, ValueError, TypeError, UnicodeError):
        return False


def charset_allowed(media_type: str, charset: str) -> bool:
    """Form bodies: UTF-8 only (Django 5.2 refuses others, as the spec says); else see above."""
    charset = charset.strip().lower()[:64]
    if media_type == "application/x-www-form-urlencoded":
        return charset == "utf-8"
    return charset_is_acceptable(charset)


class CharsetGuard:
    """WSGI wrapper: 400 for a Content-Type charset Django cannot decode.

    It has to sit outside Django: WSGIRequest's constructor already decodes the query string with
    the charset (a LookupError for rot13 and friends), before any Django middleware runs, and a
    form body in anything but UTF-8 fails later in CsrfViewMiddleware, and again in every error
    view that checks CSRF: a 500 and a chain of tracebacks per request.
    """

    BODY = b"Unsupported charset in Content-Type: use UTF-8.\n"

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        content_type = environ.get("CONTENT_TYPE", "")
        if "charset" in content_type.lower():
            media_type, params = parse_header_parameters(content_type)
            charset = params.get("charset")
            if charset is not None and not charset_allowed(media_type, charset):
                start_response(
                    "400 Bad Request",
                    [
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("Content-Length", str(len(self.BODY))),
                        ("X-Content-Type-Options", "nosniff"),
                    ],
                )
                return [self.BODY]
        return self.app(environ, start_response)
