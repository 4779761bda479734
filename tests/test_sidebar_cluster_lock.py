"""One sidebar refresh per cron interval, however many nodes run the cron line.

The nodes are real processes (`manage.py refresh_sidebar`, as cron starts it) sharing one
database and one cache: the file cache and a real memcached started here on a free port.
"""

import os
import re
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from sidebar import cache as sidebar_cache
from sidebar.cache import KEY as CACHE_KEY
from sidebar.cache import LOCK_KEY
from sidebar.cache import sidebar_read as sidebar_cached

from .helpers import (
    child_env,
    database_url_for_children,
    make_answer,
    make_question,
    shared_cache_url,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
COMPUTED = re.compile(r"^refresh_sidebar: \d+ tags, \d+ members in \d+ ms$")
SKIPPED = re.compile(r"^refresh_sidebar: skipped, computed by \S+:\d+ at \S+ \(one run per \d+ s")

# A node: Django set up first (the slow part), then it waits for the starting gun so every node
# calls the command within the same few milliseconds, as cron lines at the same minute do.
NODE = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "askme.settings")
django.setup()
from django.core.management import call_command
gun = sys.argv[1]
while not os.path.exists(gun):
    time.sleep(0.001)
call_command("refresh_sidebar")
"""


@pytest.fixture(params=["file", "memcached"])
def shared_cache(request, settings, tmp_path) -> str:
    with shared_cache_url(request.param, settings, tmp_path) as url:
        yield url


@pytest.fixture
def site(alice, bob):
    question = make_question(alice, tags=["python", "cluster"])
    make_answer(question, bob)
    return question


def run(**options) -> str:
    out = StringIO()
    call_command("refresh_sidebar", stdout=out, **options)
    return out.getvalue().strip()


def test_nodes_started_at_the_same_moment_compute_once(shared_cache, site, tmp_path):
    env = child_env(CACHE_URL=shared_cache, DATABASE_URL=database_url_for_children(tmp_path))
    gun = tmp_path / "go"
    nodes = [
        subprocess.Popen(
            [sys.executable, "-c", NODE, str(gun)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(3)  # every node has imported Django and is waiting
    gun.touch()
    outputs = []
    for node in nodes:
        out, err = node.communicate(timeout=60)
        outputs.append((node.returncode, out.strip(), err))
    everything = "\n".join(f"rc={rc} {out} {err}" for rc, out, err in outputs)
    # Computing once is the point. Under heavy load the one computing run may fail its write
    # (memcached's 0.2 s timeouts; the command then fails loudly, by design): still one run.
    computed = [o for rc, o, e in outputs if rc == 0 and COMPUTED.match(o)]
    failed_write = [e for rc, o, e in outputs if rc != 0 and "cache did not keep the value" in e]
    skipped = [o for rc, o, e in outputs if rc == 0 and SKIPPED.match(o)]
    assert len(computed) + len(failed_write) == 1, everything
    assert len(skipped) == 3, everything
    if computed:
        assert {t["name"] for t in sidebar_cached()["tags"]} == {"python", "cluster"}


def test_a_second_run_in_the_same_interval_says_it_skipped(site):
    assert COMPUTED.match(run())
    cache.delete(CACHE_KEY)
    line = run()
    assert SKIPPED.match(line), line
    assert f"computed by {os.uname().nodename}:{os.getpid()} at " in line
    assert f"one run per {settings.SIDEBAR_CRON_MINUTES * 30} s" in line
    assert sidebar_cached()["tags"] == []  # it really did not compute


def test_the_lock_expires_by_itself(shared_cache, site, monkeypatch):
    monkeypatch.setattr(sidebar_cache, "lock_seconds", lambda: 1)
    assert COMPUTED.match(run())
    assert SKIPPED.match(run())
    time.sleep(2.1)  # memcached counts whole seconds
    assert COMPUTED.match(run())


def test_force_computes_even_when_the_lock_is_held(site):
    assert COMPUTED.match(run())
    cache.delete(CACHE_KEY)
    assert COMPUTED.match(run(force=True))
    assert {t["name"] for t in sidebar_cached()["tags"]} == {"python", "cluster"}


def test_a_failed_run_gives_the_lock_back(site, monkeypatch):
    from sidebar import queries

    def broken(now=None):
        raise RuntimeError("database went away")

    monkeypatch.setattr(queries, "sidebar_compute", broken)
    with pytest.raises(RuntimeError):
        run()
    assert cache.get(LOCK_KEY) is None
    monkeypatch.undo()
    assert COMPUTED.match(run())  # the next node does not wait for the lock to expire


def test_the_lock_lasts_half_the_interval(settings):
    settings.SIDEBAR_CRON_MINUTES = 5
    assert sidebar_cache.lock_seconds() == 150
    settings.SIDEBAR_CRON_MINUTES = 1
    assert sidebar_cache.lock_seconds() == 30
