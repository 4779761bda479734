#!/usr/bin/env bash
# `make cluster` / `make cluster-down`: two AskMe nodes and a load balancer on this machine.
#   bin/cluster.sh up|down
# Shared by both nodes: PostgreSQL (bin/pg.sh, its own cluster under $CLUSTER_DIR/pg), memcached
# (bin/memcached.sh), Redis for Nchan's channels (bin/redis.sh) and one uploads directory.
# Each node: gunicorn, nginx + Nchan (NCHAN_REDIS_URL), a job worker (db_worker) and its cron
# line (the sidebar's lock makes the two lines compute once per interval). The balancer is
# nginx, round robin over the nodes' public ports. Ports (env): NODE1_PORT 8100, NODE2_PORT
# 8200 (app +1, publisher +2 on each), BALANCER_PORT 8300, CLUSTER_PGPORT 8332,
# CLUSTER_MEMCACHED_PORT 8311, REDIS_PORT 8306. Everything runtime in CLUSTER_DIR (var/cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY=.venv/bin/python
CLUSTER_DIR="$(mkdir -p "${CLUSTER_DIR:-$ROOT/var/cluster}" && cd "${CLUSTER_DIR:-$ROOT/var/cluster}" && pwd)"
NODE_PORTS=("${NODE1_PORT:-8100}" "${NODE2_PORT:-8200}")
BALANCER_PORT="${BALANCER_PORT:-8300}"
PGPORT="${CLUSTER_PGPORT:-8332}"
MC_PORT="${CLUSTER_MEMCACHED_PORT:-8311}"
REDIS_PORT="${REDIS_PORT:-8306}"
export PGPORT REDIS_PORT

shared_env() {
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/askme"
  export CACHE_URL="pymemcache://127.0.0.1:$MC_PORT"
  export NCHAN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export MEDIA_ROOT="$CLUSTER_DIR/uploads"
  export TRUSTED_BALANCER=127.0.0.1
  export SITE_URL="${SITE_URL:-http://localhost:$BALANCER_PORT}"
  export CSRF_TRUSTED_ORIGINS="${CSRF_TRUSTED_ORIGINS:-http://localhost:$BALANCER_PORT,http://127.0.0.1:$BALANCER_PORT}"
  # Every client reaches the nodes through the balancer: the per-address live limit is applied
  # there (by the client's address); the nodes see real addresses through X-Forwarded-For.
  export LIVE_CONN_PER_IP="${LIVE_CONN_PER_IP:-64}"
}

node_env() {  # node_env <n>: this node's ports and runtime directory
  local n=$1 port=${NODE_PORTS[$(($1 - 1))]}
  export VAR_DIR="$CLUSTER_DIR/node$n"
  export SITE_PORT="$port"
  export APP_BIND="127.0.0.1:$((port + 1))"
  export LIVE_PUBLISH_URL="http://127.0.0.1:$((port + 2))"
  export CRON_TAG="node$n"
}

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

up() {
  shared_env
  mkdir -p "$CLUSTER_DIR"/{run,log} "$MEDIA_ROOT"
  chmod 755 "$CLUSTER_DIR" "$MEDIA_ROOT"
  VAR_DIR="$CLUSTER_DIR" bin/pg.sh start
  $PY - <<PYEOF
import psycopg
with psycopg.connect("postgres://postgres@127.0.0.1:$PGPORT/postgres", autocommit=True) as c:
    if not c.execute("SELECT 1 FROM pg_database WHERE datname = 'askme'").fetchone():
        c.execute("CREATE DATABASE askme")
PYEOF
  VAR_DIR="$CLUSTER_DIR" bin/memcached.sh start "$MC_PORT"
  VAR_DIR="$CLUSTER_DIR" bin/redis.sh start "$REDIS_PORT"
  $PY manage.py compilemessages --ignore=.venv --ignore=node_modules -v0
  $PY manage.py migrate --noinput -v0
  $PY manage.py fill_db "${DEMO_RATIO:-20}" --if-empty
  $PY manage.py refresh_sidebar --force

  for n in 1 2; do
    (
      node_env "$n"
      mkdir -p "$VAR_DIR"/{run,log,static} "$VAR_DIR"/nginx/{logs,tmp}
      chmod 755 "$VAR_DIR" "$VAR_DIR/static"
      $PY manage.py collectstatic --noinput -v0
      if ! alive "$VAR_DIR/run/gunicorn.pid"; then
        .venv/bin/gunicorn askme.wsgi:application -c deploy/gunicorn.conf.py --daemon
      fi
      if ! alive "$VAR_DIR/run/worker.pid"; then
        nohup $PY manage.py db_worker --no-reload >>"$VAR_DIR/log/worker.log" 2>&1 </dev/null &
        echo $! >"$VAR_DIR/run/worker.pid"
      fi
      # Redis is up before nginx starts: Nchan 1.3.x workers must not start against a Redis
      # that is still connecting (upstream issue 683); a Redis that goes away later is fine.
      $PY -m deploy.nginx up --backend nchan --prefix "$VAR_DIR/nginx"
      CRON_START="${CRON_START:-1}" bin/cron.sh install
    )
  done

  local nodes="127.0.0.1:${NODE_PORTS[0]},127.0.0.1:${NODE_PORTS[1]}"
  VAR_DIR="$CLUSTER_DIR/balancer" CLUSTER_NODES="$nodes" BALANCER_PORT="$BALANCER_PORT" \
    $PY -m deploy.nginx up --backend balancer --prefix "$CLUSTER_DIR/balancer/nginx"

  for port in "${NODE_PORTS[@]}" "$BALANCER_PORT"; do
    for _ in $(seq 1 100); do
      curl -fsS -o /dev/null "http://127.0.0.1:$port/" && break
      sleep 0.2
    done
    curl -fsS -o /dev/null "http://127.0.0.1:$port/" || {
      echo "cluster: nothing answers on port $port; see $CLUSTER_DIR/node*/log and */nginx/logs" >&2
      exit 1
    }
  done
  echo "AskMe cluster is up: http://localhost:$BALANCER_PORT/ (balancer) over nodes" \
    "http://localhost:${NODE_PORTS[0]}/ and http://localhost:${NODE_PORTS[1]}/"
}

stop_pid() {  # stop_pid <name> <pidfile> [tenths of a second to wait]
  if alive "$2"; then
    kill -TERM "$(cat "$2")" && echo "stopped $1"
    for _ in $(seq 1 "${3:-50}"); do alive "$2" || break; sleep 0.1; done
  fi
  rm -f "$2"
}

down() {
  $PY -m deploy.nginx down --prefix "$CLUSTER_DIR/balancer/nginx"
  for n in 1 2; do
    (
      node_env "$n"
      $PY -m deploy.nginx down --prefix "$VAR_DIR/nginx"
      stop_pid "node$n gunicorn" "$VAR_DIR/run/gunicorn.pid"
      stop_pid "node$n job worker" "$VAR_DIR/run/worker.pid" 300
      bin/cron.sh remove
    )
  done
  VAR_DIR="$CLUSTER_DIR" bin/redis.sh stop "$REDIS_PORT"
  VAR_DIR="$CLUSTER_DIR" bin/memcached.sh stop "$MC_PORT"
  VAR_DIR="$CLUSTER_DIR" bin/pg.sh stop
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
