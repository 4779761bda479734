"""Helpers for the sidebar tests (no tests here): a real memcached of our own on a free port."""

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.conf import settings

from askme.settings import cache_config
from deploy.ports import free_port


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
