"""Fixtures for tests that need a real nginx + Nchan (tests/live, tests/e2e/test_live.py).

The suite runs with LIVE_BACKEND=off in the environment; these fixtures switch the settings to
the nginx they start, on free ports, and stop it afterwards.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from .harness import Nginx


@pytest.fixture(scope="session")
def live_static_root():
    """collectstatic into a temp dir nginx's workers can read.

    Copies, not symlinks: a checkout under a private directory (/root) is out of their reach.
    """
    root = Path(tempfile.mkdtemp(prefix="askme-static-"))
    root.chmod(0o755)
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
    yield root
    shutil.rmtree(root, ignore_errors=True)


PUSH_STREAM_NGINX = os.environ.get("PUSH_STREAM_NGINX", "")


def _push_stream_binary() -> str:
    """An nginx built with nginx-push-stream-module (Debian has none): PUSH_STREAM_NGINX."""
    if not PUSH_STREAM_NGINX:
        pytest.skip("set PUSH_STREAM_NGINX to an nginx built with nginx-push-stream-module")
    if not os.access(PUSH_STREAM_NGINX, os.X_OK):
        pytest.fail(f"PUSH_STREAM_NGINX={PUSH_STREAM_NGINX} is not an executable")
    return PUSH_STREAM_NGINX


def _running(settings, backend: str, live_server=None, static_root=None, **kwargs):
    """nginx for `backend` on free ports, publishing pointed at it; in front of the live
    server when one is given. Stopped and removed afterwards."""
    if live_server is not None:
        host, port = live_server.thread.host, live_server.thread.port
        host = "127.0.0.1" if host == "localhost" else host
        kwargs.update(app_addr=f"{host}:{port}", static_root=static_root)
    if backend == "push_stream":
        kwargs["binary"] = _push_stream_binary()
    nginx = Nginx.for_backend(backend, **kwargs)
    # Uploads go below nginx's own prefix, which its workers (nobody) can reach; pytest's
    # tmp_path is private to the user running the tests.
    settings.MEDIA_ROOT = nginx.values["MEDIA_ROOT"]
    nginx.start()
    settings.LIVE_BACKEND = backend
    settings.LIVE_PUBLISH_URL = nginx.publish_url
    yield nginx
    nginx.cleanup()


@pytest.fixture
def nchan(settings):
    """nginx + Nchan on free ports, with publishing pointed at it. No app server behind."""
    yield from _running(settings, "nchan")


# The whole site runs one nginx worker, as deploy/nginx.py starts it (NGINX_WORKERS): Nchan
# counts a question's readers exactly only within one worker. The comet-server tests keep two,
# for the paths between workers.
SITE_WORKERS = 1


@pytest.fixture
def live_site(live_server, settings, live_static_root):
    """The whole site as users see it: nginx + Nchan in front of pytest-django's live server."""
    yield from _running(settings, "nchan", live_server, live_static_root, workers=SITE_WORKERS)


@pytest.fixture(params=["nchan", "push_stream"])
def each_live_site(request, live_server, settings, live_static_root):
    """The whole site behind each comet server in turn, for the browser tests both must pass
    (push-stream skips without PUSH_STREAM_NGINX)."""
    yield from _running(
        settings, request.param, live_server, live_static_root, workers=SITE_WORKERS
    )


@pytest.fixture
def push_stream(settings):
    """nginx + push-stream on free ports, with publishing pointed at it."""
    yield from _running(settings, "push_stream")


@pytest.fixture
def push_stream_site(live_server, settings, live_static_root):
    """The whole site behind nginx + push-stream, in front of pytest-django's live server."""
    yield from _running(settings, "push_stream", live_server, live_static_root)
