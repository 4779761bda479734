"""What the benches share: free ports, starting a server and stopping it by its pid,
percentiles. (The nginx harness of tests/live, built on deploy.nginx, serves the live benches
too.)"""

import os
import shutil
import subprocess
import tempfile
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
    "live_site",
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


@contextmanager
def live_site(
    backend: str,
    *,
    setup: str,
    nginx_binary: str = "nginx",
    database_url: str = "",
    gunicorn_workers: str = "3",
    nginx_values: dict[str, str] | None = None,
    **nginx_kwargs,
) -> Iterator[tuple[Nginx, str, dict]]:
    """The whole site in a temp dir on free loopback ports: a fresh SQLite database (or
    `database_url`), migrated, `setup` run in `manage.py shell`, gunicorn with
    deploy/gunicorn.conf.py, nginx from deploy/nginx/ for `backend`. Yields (nginx, what setup
    printed, the app's env). Touches nothing of `make up` (var/, ports 8000-8082)."""
    tmp = Path(tempfile.mkdtemp(prefix="askme-bench-site-"))
    tmp.chmod(0o755)
    for sub in ("run", "log", "cache", "uploads"):
        (tmp / sub).mkdir()
    app_port = free_port()
    nginx = Nginx.for_backend(
        backend,
        binary=nginx_binary,
        app_addr=f"127.0.0.1:{app_port}",
        values=nginx_values,
        **nginx_kwargs,
    )
    env = {
        **os.environ,
        "VAR_DIR": str(tmp),
        "DATABASE_URL": database_url or f"sqlite:///{tmp}/bench.sqlite3",
        "CACHE_URL": f"file://{tmp}/cache",
        "MEDIA_ROOT": str(tmp / "uploads"),
        "LIVE_BACKEND": backend,
        "LIVE_PUBLISH_URL": nginx.publish_url,
        "APP_BIND": f"127.0.0.1:{app_port}",
        "GUNICORN_WORKERS": gunicorn_workers,
        "GUNICORN_ACCESS_LOG": "-" if os.environ.get("BENCH_ACCESS_LOG") else str(os.devnull),
        "DEBUG": "0",
    }
    python = str(PYTHON)
    gunicorn = [GUNICORN, "askme.wsgi:application", "-c", ROOT / "deploy/gunicorn.conf.py"]
    try:
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        printed = subprocess.run(
            [python, "manage.py", "shell", "-c", setup],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        with running(gunicorn, env=env, port=app_port, log=None, timeout=20):
            nginx.start()
            yield nginx, printed, env
    finally:
        nginx.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
