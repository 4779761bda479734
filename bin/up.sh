#!/usr/bin/env bash
# `make up`: run AskMe with demo data behind nginx + Nchan, with the sidebar cron job. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
export VAR_DIR="${VAR_DIR:-$PWD/var}"
PY=.venv/bin/python
SITE_PORT="${SITE_PORT:-8000}"
export SITE_PORT

mkdir -p "$VAR_DIR"/{run,log,uploads,cache,mail,static} "$VAR_DIR"/nginx/{logs,tmp}
# nginx workers (nobody, when started as root) must reach var/static and var/uploads; Django's
# file cache may have created var/ as 0700 before us.
chmod 755 "$VAR_DIR" "$VAR_DIR/static" "$VAR_DIR/uploads"
if [ "$(id -u)" -eq 0 ]; then
  # nginx workers run as nobody: they write their temp files and read static/uploads.
  chown -R nobody:nogroup "$VAR_DIR/nginx/tmp"
fi

# CACHE_URL=pymemcache://127.0.0.1:<port>: run Debian's memcached there unless something already
# listens (make down stops the one started here).
if [[ "${CACHE_URL:-}" =~ ^(py)?memcached?://(127\.0\.0\.1|localhost):([0-9]+)/?$ ]]; then
  mc_port="${BASH_REMATCH[3]}"
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$mc_port") 2>/dev/null; then
    command -v memcached >/dev/null || {
      echo "CACHE_URL wants memcached: install it (ASKME_EXTRA_APT=memcached make up)" >&2
      exit 1
    }
    bin/memcached.sh start "$mc_port" && echo "$mc_port" >"$VAR_DIR/run/memcached-up.port"
  fi
fi

$PY manage.py compilemessages --ignore=.venv --ignore=node_modules -v0  # locale/*.po → .mo (GNU gettext)
$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
$PY manage.py fill_db "${DEMO_RATIO:-20}" --if-empty
$PY manage.py refresh_sidebar --force  # this node, now (cron runs take turns)

# gunicorn: reload code when running, start otherwise. Daemonized, it reports a failure to start
# (APP_BIND taken, an import error) only in its error log: wait until it answers, or show that.
pidfile="$VAR_DIR/run/gunicorn.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  kill -HUP "$(cat "$pidfile")"
else
  app_bind="${APP_BIND:-127.0.0.1:8001}"  # deploy/gunicorn.conf.py's default
  errlog="$VAR_DIR/log/gunicorn-error.log"
  app_up() {
    if [[ "$app_bind" == unix:* ]]; then
      curl -s -o /dev/null --max-time 5 --unix-socket "${app_bind#unix:}" http://localhost/
    else
      curl -s -o /dev/null --max-time 5 "http://$app_bind/"
    fi
  }
  ours_up() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && app_up; }
  # Something already answering on APP_BIND is not ours (ours is not running, see above).
  if app_up; then
    echo "APP_BIND=$app_bind is taken by another process (a second checkout? give this one its own APP_BIND)" >&2
    exit 1
  fi
  started_at=0
  [ -f "$errlog" ] && started_at=$(wc -l <"$errlog")
  rm -f "$pidfile"
  .venv/bin/gunicorn askme.wsgi:application -c deploy/gunicorn.conf.py --daemon
  deadline=$((SECONDS + 30))
  until ours_up || [ $SECONDS -ge $deadline ]; do
    # It wrote its pid and exited: no point waiting any longer.
    [ -s "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null && break
    sleep 0.2
  done
  if ! ours_up; then
    echo "gunicorn did not start on $app_bind (APP_BIND); from $errlog:" >&2
    tail -n +"$((started_at + 1))" "$errlog" 2>/dev/null | tail -n 20 >&2
    exit 1
  fi
fi

# The background-job worker (django-tasks' db_worker: new-answer e-mails). Jobs wait in the
# database, so a worker (re)started later still finds them; a running one keeps running (a code
# change: `make down && make up`, or kill -TERM it: it finishes its current job first).
worker_pid="$VAR_DIR/run/worker.pid"
if ! { [ -s "$worker_pid" ] && kill -0 "$(cat "$worker_pid")" 2>/dev/null; }; then
  nohup $PY manage.py db_worker --no-reload >>"$VAR_DIR/log/worker.log" 2>&1 </dev/null &
  echo $! >"$worker_pid"
  sleep 0.5
  kill -0 "$(cat "$worker_pid")" 2>/dev/null || {
    echo "the job worker did not start; see $VAR_DIR/log/worker.log" >&2
    tail -n 20 "$VAR_DIR/log/worker.log" >&2
    exit 1
  }
fi

# nginx with a project-local prefix: rendered, checked, started or reloaded by deploy/nginx.py
# (the same code the live tests and benches use); a failure prints nginx's own words.
$PY -m deploy.nginx up --prefix "$VAR_DIR/nginx"

bin/cron.sh install

# Wait until the site answers through nginx.
for _ in $(seq 1 50); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$SITE_PORT/"; then
    echo "AskMe is up: http://localhost:$SITE_PORT/  (demo users: user0 … user$((${DEMO_RATIO:-20} - 1)), password \"password\")"
    exit 0
  fi
  sleep 0.2
done
echo "AskMe did not answer on port $SITE_PORT; see $VAR_DIR/log/ and $VAR_DIR/nginx/logs/" >&2
exit 1
