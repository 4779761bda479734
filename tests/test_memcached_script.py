"""bin/memcached.sh start|stop: stop really stops what start started (also as root, where
memcached runs as nobody), a second start is a no-op, and a port taken by someone else is an
error that says so."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from deploy.ports import free_port, listening

ROOT = Path(settings.BASE_DIR)

pytestmark = pytest.mark.skipif(shutil.which("memcached") is None, reason="needs memcached")


@pytest.fixture
def memcached(tmp_path):
    port = free_port()
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    pidfile = tmp_path / "var" / "run" / f"memcached-{port}.pid"

    def run(action: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [ROOT / "bin" / "memcached.sh", action, str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    run.port, run.pidfile = port, pidfile
    yield run
    run("stop")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _version(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"version\r\n")
        return sock.recv(100)


def test_start_twice_then_stop_leaves_nothing_running(memcached):
    started = memcached("start")
    assert started.returncode == 0, started.stderr
    pid = int(memcached.pidfile.read_text())
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "memcached"
    assert _version(memcached.port).startswith(b"VERSION ")

    again = memcached("start")
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    assert int(memcached.pidfile.read_text()) == pid

    stopped = memcached("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not _alive(pid)
    assert not listening(memcached.port)
    assert not memcached.pidfile.exists()
    assert memcached("stop").returncode == 0  # nothing to stop: still fine


def test_start_on_a_port_someone_else_holds_fails_and_says_so(memcached):
    with socket.socket() as other:
        other.bind(("127.0.0.1", memcached.port))
        other.listen()
        result = memcached("start")
    assert result.returncode == 1
    assert f"port {memcached.port} is taken by another process" in result.stderr
    assert "MEMCACHED_PORT" in result.stderr
    assert not memcached.pidfile.exists()
