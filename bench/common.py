"""What the benches share: free ports, starting a server and stopping it by its pid,
percentiles. (The nginx harness of tests/live, built on deploy.nginx, serves the live benches
too.)"""

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy.ports import free_port, wait_for_port
from tests.live.harness import Nginx

ROOT = Path(__file__).resolve().parent.parent

GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PYTHON = ROOT / ".venv" / "bin" / "python"

__all__ = [
    "GUNICORN",
    "PYTHON",
    "ROOT",
    "Nginx",
    "free_port",
    "percentile",
    "running",
    "wait_for_port",
]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@contextmanager
def running(
    args: list, *, env: dict, port: int, log=subprocess.DEVNULL, timeout: float = 60.0
) -> Iterator[subprocess.Popen]:
    """Start `args` in the checkout, wait until it listens on 127.0.0.1:`port`, and stop it
    (SIGTERM, then wait) when the block ends."""
    process = subprocess.Popen([str(a) for a in args], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_for_port(port, timeout, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
