"""gunicorn for AskMe; `make up` starts it behind nginx. Values can be overridden by env."""

import multiprocessing
import os
from pathlib import Path

var = Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
for directory in ("log", "run"):
    (var / directory).mkdir(parents=True, exist_ok=True)

bind = os.environ.get("APP_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "sync"
timeout = 30
graceful_timeout = 10
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
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
