"""Ports on the loopback interface: find a free one, wait for a listener, ask who holds one."""

import socket
import subprocess
import time
from urllib.parse import urlsplit


def free_port() -> int:
    """A port nothing listens on right now (the kernel's pick)."""
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
