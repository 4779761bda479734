"""What tests share: factories for the recurring cast, clients that post like a browser, the
SQL a request runs, and a real memcached of our own. Import from here (never from conftest.py).
"""

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from askme.settings import cache_config
from deploy.ports import free_port
from qa.models import Answer, Question, Tag, question_tag_defaults

User = get_user_model()


def make_user(username: str, **extra) -> User:
    extra.setdefault("email", f"{username}@example.com")
    return User.objects.create_user(username=username, password="pass-word-123", **extra)


def make_question(
    author, title="How do I reverse a list in Python?", text=None, tags=()
) -> Question:
    question = Question.objects.create(
        author=author, title=title, text=text or f"{title} I tried everything, help me."
    )
    question.tags.set(
        [Tag.objects.get_or_create(name=name)[0] for name in tags],
        through_defaults=question_tag_defaults(question),
    )
    return question


def make_answer(question, author, text="Use reversed(), or slice with [::-1].", **extra) -> Answer:
    answer = Answer.objects.create(question=question, author=author, text=text, **extra)
    Question.objects.filter(pk=question.pk).update(answers_count=question.answers.count())
    question.refresh_from_db()
    return answer


def client_for(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def csrf_post(client: Client, url: str, data=None, **extra):
    """POST the way a browser does: fetch a page for the CSRF cookie, then send the token."""
    if "csrftoken" not in client.cookies:
        client.get("/login/")
    token = client.cookies["csrftoken"].value
    return client.post(url, data or {}, HTTP_X_CSRFTOKEN=token, **extra)


def queries_of_get(client: Client, url: str, data=None) -> tuple[list[str], object]:
    """The SQL statements a GET runs (asserting it answered 200), and its response."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data)
    assert response.status_code == 200, url
    return [query["sql"] for query in ctx.captured_queries], response


@contextlib.contextmanager
def running_memcached() -> Iterator[int]:
    """A real memcached (Debian's binary) on a free port; stopped, and its port closed, on exit."""
    binary = shutil.which("memcached")
    if binary is None:
        pytest.fail("memcached is not installed (apt-get install memcached)")
    port = free_port()
    user = ["-u", "nobody"] if os.getuid() == 0 else []
    process = subprocess.Popen(
        [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "16", *user],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"memcached did not start on port {port}")
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=5)


def memcached_caches(port: int) -> dict:
    config = cache_config(f"pymemcache://127.0.0.1:{port}")
    config["KEY_PREFIX"] = settings.CACHES["default"].get("KEY_PREFIX", "")
    return {"default": config}


@contextlib.contextmanager
def shared_cache_url(kind: str, settings, tmp_path: Path) -> Iterator[str]:
    """Point this process at a file cache or a real memcached ("file" | "memcached") and give
    the CACHE_URL child processes should use to share it."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    if kind == "file":
        url = f"file://{tmp_path / 'cache'}"
        settings.CACHES = {"default": {**cache_config(url), "KEY_PREFIX": prefix}}
        yield url
    else:
        with running_memcached() as port:
            settings.CACHES = memcached_caches(port)
            yield f"pymemcache://127.0.0.1:{port}"


def child_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def database_url_for_children(tmp_path: Path) -> str:
    """The test database, committed, as a URL another process can open."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = quote(s["USER"] or "", safe="")
        if s["PASSWORD"]:
            auth += ":" + quote(s["PASSWORD"], safe="")
        return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
    # SQLite tests run in memory: hand the child a file copy of it.
    path = tmp_path / "db.sqlite3"
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return f"sqlite:///{path}"


def mails_in(folder: Path) -> list[str]:
    """Every message Django's file e-mail backend wrote under `folder`, one string each, sorted.
    The backend writes a file per connection, named by the second and the backend's id(): two
    connections opened within one second by objects at the same address (a worker sending two
    jobs in a row) append to one file, each message followed by a line of 79 dashes."""
    if not folder.is_dir():
        return []
    messages = []
    for path in folder.iterdir():
        messages += [m for m in path.read_text().split("-" * 79 + "\n") if m.strip()]
    return sorted(messages)
