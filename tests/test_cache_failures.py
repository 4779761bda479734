"""A file cache that cannot read or write is a miss, never a 500, and never loses a post (item 7).

Real failing filesystems: a cache directory whose parent is a regular file (every operation
fails with ENOTDIR), and a full tmpfs (writes fail with ENOSPC; needs mount, i.e. root). And the
same promise for memcached when nothing listens at CACHE_URL.
"""

import errno
import logging
import os
import socket
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache

import core.cache
from askme.settings import cache_config
from core.logs import RateLimitedLogger
from qa.models import Question
from tests.helpers import client_for, csrf_post, make_answer, make_question

PAGES = ["/", "/hot/", "/tag/python/", "/user/alice/", "/question/{id}/", "/search/?q=list"]


def _use_cache_at(settings, location: Path) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.SafeFileBasedCache", "LOCATION": str(location)}
    }


@pytest.fixture
def not_a_directory(settings, tmp_path):
    blocker = tmp_path / "cache-parent"
    blocker.write_text("a regular file where the cache's parent directory should be")
    _use_cache_at(settings, blocker / "cache")
    return blocker / "cache"


@pytest.fixture
def full_disk(settings, tmp_path):
    mountpoint = tmp_path / "tiny"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mountpoint)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        (mountpoint / "cache").mkdir()
        fd = os.open(mountpoint / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:  # fill it to the last block
                os.write(fd, b"x" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        _use_cache_at(settings, mountpoint / "cache")
        yield mountpoint / "cache"
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


@pytest.fixture
def memcached_down(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    settings.CACHES = {"default": cache_config(f"pymemcache://127.0.0.1:{port}")}


@pytest.fixture(params=["not_a_directory", "full_disk", "memcached_down"])
def broken_cache(request):
    return request.getfixturevalue(request.param)


def test_pages_answer_200_on_a_broken_cache(broken_cache, alice, bob):
    question = make_question(alice, tags=["python"])
    make_answer(question, bob)
    if broken_cache is not None:
        with pytest.raises(OSError):  # the condition is real: Django's own backend fails
            _plain_backend(broken_cache).set("k", "v")
    for member in (None, bob):
        for page in PAGES:
            response = client_for(member).get(page.format(id=question.pk))
            assert response.status_code == 200, (page, member)


def test_posting_on_a_broken_cache_saves_the_post(broken_cache, alice, bob):
    response = csrf_post(
        client_for(alice),
        "/ask/",
        {
            "title": "Does a full disk lose my question?",
            "text": "It must not, the database is the truth.",
            "tags": "disk",
        },
    )
    question = Question.objects.get()
    assert response.status_code == 302 and response["Location"] == question.get_absolute_url()
    response = csrf_post(client_for(bob), f"/question/{question.pk}/", {"text": "It does not."})
    assert response.status_code == 302 and question.answers.count() == 1
    response = csrf_post(client_for(bob), f"/question/{question.pk}/vote/", {"value": "1"})
    assert response.status_code == 200 and response.json()["rating"] == 1


def test_every_operation_is_a_miss(not_a_directory):
    assert cache.get("k", "default") == "default"
    assert cache.set("k", "v") is None
    assert cache.add("k", "v") is False
    assert cache.touch("k") is False
    assert cache.delete("k") is False
    assert cache.has_key("k") is False
    with pytest.raises(ValueError):  # as for a missing key, which counts_invalidate handles
        cache.incr("k")
    assert cache.get_many(["a", "b"]) == {}
    cache.set_many({"a": 1})
    cache.clear()


def test_failures_are_logged_once_a_minute(not_a_directory, monkeypatch):
    logger = logging.getLogger("core.cache")
    monkeypatch.setattr(core.cache, "_limited", RateLimitedLogger(logger, interval=60))
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        for _ in range(100):
            cache.set("k", "v")
            cache.get("k")
    finally:
        logger.removeHandler(handler)
    lines = [r.getMessage() for r in records]
    assert len(lines) == 2, lines  # one per kind of operation (read, write), not 200
    assert any("write failed" in line and "NotADirectoryError" in line for line in lines)
    assert all(r.levelno == logging.WARNING for r in records)


def test_a_working_cache_still_caches(settings, tmp_path):
    _use_cache_at(settings, tmp_path / "cache")
    cache.set("k", "v")
    assert cache.get("k") == "v" and cache.add("k", "w") is False
    cache.set("n", 1)
    assert cache.incr("n") == 2 and cache.delete("n") is True


def _plain_backend(location: Path):
    from django.core.cache.backends.filebased import FileBasedCache

    return FileBasedCache(str(location), {})


def test_the_file_cache_holds_a_sites_fragments_and_culls_now_and_then(tmp_path):
    """Django's file cache culls a random third past 300 entries on every set, listing the
    whole directory each time: fewer than a busy page's fragments. Ours holds 50,000 and culls
    at most once every CULL_SECONDS a process."""
    assert cache_config("")["OPTIONS"]["MAX_ENTRIES"] == 50_000
    small = core.cache.SafeFileBasedCache(str(tmp_path / "c"), {"OPTIONS": {"MAX_ENTRIES": 3}})
    for n in range(8):
        small.set(f"key{n}", n)
    assert [small.get(f"key{n}") for n in range(8)] == list(range(8))  # no cull since the first
    small._culled_at -= small.CULL_SECONDS
    small.set("one-more", 9)
    assert sum(small.get(f"key{n}") is not None for n in range(8)) < 8  # culled now
