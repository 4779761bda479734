"""Ports on the loopback interface: find a free one, wait for a listener, ask who holds one."""

import random
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

# Below the kernel's ephemeral range and above everything `make up` and bin/cluster.sh use.
FREE_PORT_FLOOR = 10000


def ephemeral_range() -> tuple[int, int]:
    """The ports the kernel picks the local end of outgoing connections from."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return low, high


def free_port() -> int:
    """A port nothing is bound to right now, below the ephemeral range: one from that range can
    be taken meanwhile by the local end of any outgoing connection (nginx to an upstream, a
    database client), and a server started seconds later then finds it in use (a cluster
    test's gunicorn did). The kernel's pick only where the range leaves no room below it."""
    low, _ = ephemeral_range()
    for _ in range(100 if low > FREE_PORT_FLOOR + 1000 else 0):
        port = random.randrange(FREE_PORT_FLOOR, low)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(
    port: int, timeout: float = 10.0, process: subprocess.Popen | None = None
) -> None:
    """Until something listens on 127.0.0.1:`port`; gives up early if `process` exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def url_port(url: str, name: str) -> int:
    """The port of an http:// URL (80 when it names none); a clear error for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"{name}={url!r}: expected http://host:port")
    try:
        return parts.port or 80
    except ValueError:
        raise ValueError(f"{name}={url!r}: invalid port") from None
