"""Errors leave a line (and a traceback) in var/log/askme.log, and the logs stay bounded.

Issue 11 item 2 and issue 10: under gunicorn, stdout/stderr went to /dev/null, so 500s, live
publish failures and mail failures were lost.
"""

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.test import Client

from live import publisher
from tests.helpers import client_for, csrf_post, make_question

ROOT = Path(__file__).resolve().parent.parent


class LogTail:
    """What a log file gained since this object was made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = path.stat().st_size if path.exists() else 0

    def text(self) -> str:
        with open(self.path, "rb") as f:
            f.seek(self.start if self.path.stat().st_size >= self.start else 0)
            return f.read().decode("utf-8", "replace")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def askme_log() -> LogTail:
    return LogTail(Path(settings.LOG_DIR) / "askme.log")


@pytest.mark.urls("tests.boom_urls")
def test_a_500_leaves_its_traceback_in_the_log(db, askme_log):
    marker = uuid.uuid4().hex
    response = Client(raise_request_exception=False).get(f"/boom/?id={marker}")
    assert response.status_code == 500
    log = askme_log.text()
    assert "ERROR" in log and "django.request: Internal Server Error: /boom/" in log
    assert "Traceback (most recent call last):" in log
    assert f"RuntimeError: boom {marker}" in log


@pytest.mark.urls("tests.boom_urls")
def test_user_input_cannot_forge_a_log_line(db, askme_log):
    forged = "2026-01-01 00:00:00,000 INFO [1] qa: forged"
    # in the request path (the message) and in the exception's text (the traceback)
    Client(raise_request_exception=False).get(f"/boom/%0a{forged}", {"id": f"\r\n{forged}"})
    lines = askme_log.text().splitlines()
    assert not any(line.startswith("2026-01-01") for line in lines), lines
    events = [line for line in lines if not line.startswith(" ")]
    assert len(events) == 1 and events[0].endswith(f"/boom/\\n{forged}"), events
    assert any(line.strip() == forged for line in lines)  # kept, indented, in the traceback


def test_a_failed_live_publish_leaves_a_line(
    settings, alice, bob, askme_log, django_capture_on_commit_callbacks
):
    settings.LIVE_BACKEND = "nchan"
    settings.LIVE_PUBLISH_URL = f"http://127.0.0.1:{closed_port()}"
    question = make_question(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(client_for(bob), f"/question/{question.pk}/", {"text": "Use [::-1]."})
    assert response.status_code == 302 and question.answers.count() == 1
    lines = [line for line in askme_log.text().splitlines() if "live publish" in line]
    # The answer on its question's channel, the question's card on its lists, the asker's inbox.
    assert len(lines) == 3, lines
    assert "WARNING" in lines[0] and f"live publish for question {question.pk} failed" in lines[0]
    assert "live publish for questions,unanswered failed" in lines[1]
    assert f"live publish for user-{alice.pk} failed" in lines[2]


def test_a_refused_live_publish_leaves_a_line(settings, alice, bob, askme_log):
    """A comet server that answers 413 (message too large) is logged with the status."""

    class TooLarge(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's API
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(413)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TooLarge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.LIVE_BACKEND = "nchan"
        settings.LIVE_PUBLISH_URL = f"http://127.0.0.1:{server.server_address[1]}"
        question = make_question(alice)
        assert publisher.publish(question.pk, {"type": "vote"}) is False
    finally:
        server.shutdown()
        server.server_close()
    lines = [line for line in askme_log.text().splitlines() if "live publish" in line]
    assert len(lines) == 1 and "WARNING" in lines[0] and "answered 413" in lines[0], lines


def test_a_failed_mail_leaves_its_traceback(
    settings, alice, bob, askme_log, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    question = make_question(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(client_for(bob), f"/question/{question.pk}/", {"text": "Use [::-1]."})
    assert response.status_code == 302 and question.answers.count() == 1
    log = askme_log.text()
    # The mail is a job (qa/tasks.py); in tests jobs run at once, and a failed send says so
    # with its traceback (the worker retries it later with back-off).
    answer = question.answers.get()
    assert f"qa.tasks: answer {answer.pk}: e-mail failed, attempt 1" in log
    assert "ConnectionRefusedError" in log


def test_the_log_is_rotated_and_bounded(tmp_path):
    """Several processes writing at once (gunicorn workers) keep to LOG_BACKUP_COUNT files."""
    env = {
        **os.environ,
        "LOG_DIR": str(tmp_path),
        "LOG_MAX_BYTES": "20000",
        "LOG_BACKUP_COUNT": "2",
        "LOG_CONSOLE": "off",
    }
    script = (
        "import django, logging; django.setup(); log = logging.getLogger('qa.test');"
        "[log.warning('line %d of a long story %s', i, 'x' * 80) for i in range(1000)]"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env) for _ in range(3)
    ]
    assert all(w.wait(timeout=60) == 0 for w in writers)
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names == ["askme.log", "askme.log.1", "askme.log.2"], names
    assert all((tmp_path / name).stat().st_size <= 25000 for name in names)


def test_a_garbage_log_flag_fails_loudly(tmp_path):
    env = {**os.environ, "LOG_DIR": str(tmp_path), "LOG_CONSOLE": "of"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "LOG_CONSOLE='of'" in result.stderr


def test_gunicorn_writes_a_500_to_askme_log_not_to_the_void(tmp_path):
    """The real thing: deploy/gunicorn.conf.py, daemonized as `make up` starts it."""
    port = closed_port()
    (tmp_path / "run").mkdir()
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "APP_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "DJANGO_SETTINGS_MODULE": "tests.boom_settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("LOG_DIR", None)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    args = [gunicorn, "askme.wsgi:application", "-c", "deploy/gunicorn.conf.py", "--daemon"]
    subprocess.run(args, cwd=ROOT, env=env, check=True, timeout=30)
    pidfile = tmp_path / "run" / "gunicorn.pid"
    try:
        marker = uuid.uuid4().hex
        deadline = time.monotonic() + 20
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/boom/?id={marker}", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert response.status_code == 500
        # The charset guard is part of the application gunicorn runs (askme/wsgi.py).
        refused = requests.get(
            f"http://127.0.0.1:{port}/boom/?id=x",
            headers={"Content-Type": "text/plain; charset=rot13"},
            timeout=5,
        )
        assert refused.status_code == 400 and b"charset" in refused.content
        askme_log = (tmp_path / "log" / "askme.log").read_text()
        assert f"RuntimeError: boom {marker}" in askme_log
        assert "Traceback" in askme_log
        gunicorn_log = (tmp_path / "log" / "gunicorn.log").read_text()
        assert "Booting worker" in gunicorn_log
        assert marker not in gunicorn_log  # once, in askme.log: the console copy is off
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), 15)
            deadline = time.monotonic() + 10
            while pidfile.exists() and time.monotonic() < deadline:
                time.sleep(0.1)


def test_a_suspicious_request_is_one_line_without_traceback(db, askme_log):
    """Anyone can trigger these on every request: no traceback each time."""
    response = Client().get("/ask/?" + "x" * 17000)  # login redirect longer than Django allows
    assert response.status_code == 400
    lines = [line for line in askme_log.text().splitlines() if line.strip()]
    assert len(lines) == 1, lines[:5]
    assert "ERROR" in lines[0] and "django.security.DisallowedRedirect" in lines[0]
