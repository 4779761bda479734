"""gunicorn for AskMe; `make up` starts it behind nginx. Values can be overridden by env."""

import multiprocessing
import os
from pathlib import Path

var = Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent.parent / "var"))

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
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", str(var / "log" / "gunicorn-access.log"))
errorlog = str(var / "log" / "gunicorn-error.log")
loglevel = "info"
# nginx in front sets these; only trust them from the local proxy.
forwarded_allow_ips = "127.0.0.1"
