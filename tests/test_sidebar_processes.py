"""The cache is shared between processes: cron writes it, every web worker reads it.

Each test runs on the file cache and on a real memcached started here on a free port. The cron
line is the one `bin/cron.sh install` puts in a crontab (a stand-in crontab command in a temp dir,
so the machine's real crontab is never touched), run through `sh -c` with cron's bare environment.
"""

import fcntl
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from askme.settings import cache_config
from sidebar.cache import KEY as CACHE_KEY
from sidebar.cache import sidebar_read as sidebar_cached

from .helpers import (
    child_env,
    database_url_for_children,
    make_answer,
    make_question,
    memcached_caches,
    running_memcached,
    shared_cache_url,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
FAKE_CRONTAB = """#!/bin/sh
# crontab -l | - | -r on a file, like the real one on the spool
f="$FAKE_CRONTAB_FILE"
case "$1" in
  -l) [ -f "$f" ] && exec cat "$f"; echo "no crontab for $(id -un)" >&2; exit 1 ;;
  -r) rm -f "$f" ;;
  -) cat > "$f" ;;
  *) exit 2 ;;
esac
"""


@pytest.fixture(params=["file", "memcached"])
def shared_cache(request, settings, tmp_path) -> str:
    """CACHE_URL of a cache this process uses and that child processes are pointed at."""
    with shared_cache_url(request.param, settings, tmp_path) as url:
        yield url


@pytest.fixture
def cron_site(alice, bob):
    alice.profile.display_name = "Alice Liddell"
    alice.profile.save()
    question = make_question(alice, tags=["python", "cron"])
    make_answer(question, bob)
    make_answer(question, bob)
    return question


def installed_line(tmp_path: Path, **env) -> str:
    """Install the line with bin/cron.sh into a stand-in crontab and read it back."""
    fake = tmp_path / "crontab"
    fake.write_text(FAKE_CRONTAB)
    fake.chmod(0o755)
    tab = tmp_path / "crontab.txt"
    run_env = child_env(CRONTAB=fake, FAKE_CRONTAB_FILE=tab, CRON_START=0, **env)
    subprocess.run([ROOT / "bin" / "cron.sh", "install"], env=run_env, check=True, timeout=30)
    lines = [line for line in tab.read_text().splitlines() if line.strip()]
    assert len(lines) == 1
    return lines[0]


def as_cron_runs_it(line: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """What cron does with a crontab line: five schedule fields, the rest to /bin/sh -c.

    A bare % ends the command (the rest is stdin) and \\% is a literal %, as in cron(8).
    """
    fields = line.split(None, 5)
    assert fields[:5] == ["*/5", "*", "*", "*", "*"]
    command = re.split(r"(?<!\\)%", fields[5])[0].replace("\\%", "%")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "SHELL": "/bin/sh", "LOGNAME": "askme"}
    return subprocess.run(
        ["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_another_process_reads_what_the_command_wrote(shared_cache, cron_site):
    call_command("refresh_sidebar", stdout=open(os.devnull, "w"))  # noqa: SIM115
    render = (
        "from django.template.loader import render_to_string;"
        "print(render_to_string('sidebar/_column.html'))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", render],
        cwd=ROOT,
        env=child_env(CACHE_URL=shared_cache),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert 'href="/tag/cron/"' in result.stdout
    assert 'href="/user/alice/"' in result.stdout and "Alice Liddell" in result.stdout
    assert "Nothing here yet." not in result.stdout


def test_the_installed_crontab_line_fills_the_cache(shared_cache, cron_site, tmp_path):
    var = tmp_path / "var"
    line = installed_line(
        tmp_path,
        VAR_DIR=var,
        CACHE_URL=shared_cache,
        DATABASE_URL=database_url_for_children(tmp_path),
    )
    assert f"{ROOT}/.venv/bin/python {ROOT}/manage.py refresh_sidebar" in line
    assert "flock -n" in line
    cache.delete(CACHE_KEY)
    assert sidebar_cached()["members"] == []

    result = as_cron_runs_it(line, home=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    value = sidebar_cached()
    assert [(m["username"], m["total"]) for m in value["members"]] == [("bob", 2), ("alice", 1)]
    assert {t["name"] for t in value["tags"]} == {"python", "cron"}
    log = (var / "log" / "refresh_sidebar.log").read_text()
    assert re.search(r"^refresh_sidebar: 2 tags, 2 members in \d+ ms$", log, re.M), log


def test_a_run_still_going_makes_the_next_one_skip(shared_cache, cron_site, tmp_path):
    var = tmp_path / "var"
    line = installed_line(
        tmp_path,
        VAR_DIR=var,
        CACHE_URL=shared_cache,
        DATABASE_URL=database_url_for_children(tmp_path),
    )
    cache.delete(CACHE_KEY)
    with open(var / "run" / "refresh_sidebar.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # what flock(1) in the running job holds
        started = time.monotonic()
        result = as_cron_runs_it(line, home=tmp_path)
        assert result.returncode != 0
        assert time.monotonic() - started < 5  # -n: it gives up at once, it does not queue
        assert sidebar_cached()["members"] == []
    assert as_cron_runs_it(line, home=tmp_path).returncode == 0
    assert len(sidebar_cached()["members"]) == 2


def test_the_command_fails_loudly_when_the_cache_is_down(cron_site, settings):
    with running_memcached() as port:
        caches = memcached_caches(port)
    settings.CACHES = caches  # that memcached is stopped now
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cache did not keep the value"):
        call_command("refresh_sidebar", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.mark.skipif(
    os.environ.get("ASKME_TEST_REAL_CRON") != "1" or os.getuid() != 0 or not shutil.which("cron"),
    reason="real cron: set ASKME_TEST_REAL_CRON=1, as root (it borrows root's crontab ~1 min)",
)
def test_real_cron_runs_the_installed_line(cron_site, settings, tmp_path):
    """The real daemon, the real crontab: installed every minute, we wait for one run.

    root's crontab is saved first and restored byte for byte afterwards (it may hold `make up`'s
    own line), and a cron daemon started here is stopped again.
    """
    url = f"file://{tmp_path / 'cache'}"
    settings.CACHES = {"default": {**cache_config(url), "KEY_PREFIX": "askme"}}
    var = tmp_path / "var"
    saved = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    had_crontab = saved.returncode == 0
    cron_was_running = subprocess.run(["pgrep", "-x", "cron"], capture_output=True).returncode == 0
    env = child_env(
        VAR_DIR=var,
        CACHE_URL=url,
        CACHE_KEY_PREFIX="askme",
        DATABASE_URL=database_url_for_children(tmp_path),
        SIDEBAR_CRON_MINUTES=1,
    )
    started_pid = None
    try:
        subprocess.run([ROOT / "bin" / "cron.sh", "install"], env=env, check=True, timeout=30)
        if not cron_was_running:
            started_pid = int(Path("/run/crond.pid").read_text().split()[0])
        log = var / "log" / "refresh_sidebar.log"
        deadline = time.monotonic() + 130
        while time.monotonic() < deadline and not (log.exists() and "members" in log.read_text()):
            time.sleep(1)
        assert log.exists(), "cron did not run the line within two minutes"
        assert re.search(r"^refresh_sidebar: 2 tags, 2 members in \d+ ms$", log.read_text(), re.M)
        assert [m["username"] for m in sidebar_cached()["members"]] == ["bob", "alice"]
    finally:
        if had_crontab:
            subprocess.run(["crontab", "-"], input=saved.stdout, text=True, check=True)
        else:
            subprocess.run(["crontab", "-r"], capture_output=True)
        if started_pid:
            os.kill(started_pid, 15)
