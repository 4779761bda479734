"""Requests through askme.wsgi.application itself, guards included, for what the test Client skips.

Django's test Client builds its WSGIRequest directly, so it never passes through the WSGI
wrappers in askme/wsgi.py, and a request it cannot construct raises in the test instead of
becoming a response. Like the Client, this keeps the test's database connection open across the
request (close_old_connections would otherwise close it inside the test's transaction).
"""

import io
import sys
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@dataclass
class WsgiResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def wsgi_request(
    method: str,
    path: str,
    body: bytes = b"",
    content_type: str = "",
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> WsgiResponse:
    """`path` as it appears on the wire (percent-encoded, with its query string)."""
    from askme.wsgi import application

    raw_path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        # PEP 3333: PATH_INFO is the decoded path as latin-1 code points, as gunicorn gives it.
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "HTTP_HOST": "localhost",
    }
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    if cookies:
        environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value

    captured: dict = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"] = int(status.split()[0])
        captured["headers"] = dict(response_headers)

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return WsgiResponse(captured["status"], captured["headers"], content)
