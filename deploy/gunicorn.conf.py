"""gunicorn for AskMe; `make up` starts it behind nginx. Values can be overridden by env."""

import multiprocessing
import os
from pathlib import Path

var = Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
for directory in ("log", "run"):
    (var / directory).mkdir(parents=True, exist_ok=True)

bind = os.environ.get("APP_BIND", "127.0.0.1:8001")
# One worker a CPU and one spare (for a request waiting on the database or a slow render), not
# gunicorn's starting point of 2 × CPUs + 1: a page here is ~1.5 ms of CPU and one database
# round trip, and more workers than that only take turns on the same CPUs, each evicting the
# other's caches. Measured in pairs by bench/workers.py: README "Performance". Raise it for a
# database far away (every millisecond of round trip is a worker waiting).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "sync"
timeout = 30
graceful_timeout = 10
keepalive = 5
# A worker is replaced after this many requests (a guard against a leak that nothing here is
# known to have). Starting one costs ~0.75 s of CPU (Django, the app, every template compiled in
# post_worker_init): every 5,000 requests that was ~7 % of a busy worker's time; every 50,000, ~1 %.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
pidfile = str(var / "run" / "gunicorn.pid")
# gunicorn 27 opens a control socket, by default in ~/.gunicorn/ shared by every instance of the
# user; keep ours next to the pid file so checkouts and benchmarks never collide.
control_socket = str(var / "run" / "gunicorn.ctl")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", str(var / "log" / "gunicorn-access.log"))
# gunicorn's own lines (start, worker exits and timeouts) and anything a worker prints to
# stdout/stderr. Django logs to var/log/askme.log itself (settings.LOGGING, rotated); its console
# copy is switched off here so that nothing is written twice.
errorlog = str(var / "log" / "gunicorn.log")
capture_output = True
raw_env = ["LOG_CONSOLE=off"]
loglevel = "info"
# nginx in front sets these; only trust them from the local proxy.
forwarded_allow_ips = "127.0.0.1"


def post_worker_init(worker) -> None:
    """Compile every template, then move all start-up objects out of the collector's reach.

    Django, the URL conf and the compiled templates live as long as the worker; without
    gc.freeze() every full collection walks them again, a 60–70 ms pause at ratio 10000 that
    showed up as the p99 of every page. Frozen, a full collection takes ~6 ms.
    """
    import gc

    from django.conf import settings
    from django.template.loader import get_template

    for directory in settings.TEMPLATES[0]["DIRS"]:
        for path in Path(directory).rglob("*.html"):
            get_template(str(path.relative_to(directory)))
    gc.freeze()
