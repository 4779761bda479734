#!/usr/bin/env bash
# `make down`: stop what `make up` started (by pid file) and remove the cron line.
set -uo pipefail
cd "$(dirname "$0")/.."
VAR_DIR="${VAR_DIR:-$PWD/var}"
stop() {
  local name=$1 pidfile=$2 tenths=${3:-50}
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")" && echo "stopped $name"
    for _ in $(seq 1 "$tenths"); do kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}
if [ -x .venv/bin/python ]; then
  .venv/bin/python -m deploy.nginx down --prefix "$VAR_DIR/nginx"
else  # no venv any more: still stop nginx by its pid file
  stop nginx "$VAR_DIR/nginx/nginx.pid"
fi
stop gunicorn "$VAR_DIR/run/gunicorn.pid"
# SIGTERM: the worker finishes the job it is running (an SMTP send times out after 10 s), then
# exits; queued jobs stay in the database for the next start.
stop "job worker" "$VAR_DIR/run/worker.pid" 300
bin/cron.sh remove
if [ -f "$VAR_DIR/run/memcached-up.port" ]; then
  bin/memcached.sh stop "$(cat "$VAR_DIR/run/memcached-up.port")"
  rm -f "$VAR_DIR/run/memcached-up.port"
fi
exit 0
