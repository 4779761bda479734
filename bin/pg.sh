#!/usr/bin/env bash
# A throwaway PostgreSQL cluster under var/pg for the tests: bin/pg.sh start|stop|url
# initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` user.
set -euo pipefail
cd "$(dirname "$0")/.."
VAR_DIR="${VAR_DIR:-$PWD/var}"
PGPORT="${PGPORT:-54329}"
pgroot="$VAR_DIR/pg"
if [ "$(id -u)" -eq 0 ]; then
  # The cluster runs as `postgres`, who cannot reach a checkout under a private directory
  # (/root is 0700): then it lives in /tmp, one per checkout.
  mkdir -p "$pgroot" && chown postgres:postgres "$pgroot"
  if ! runuser -u postgres -- test -w "$pgroot"; then
    pgroot="/tmp/askme-pg-$(printf '%s' "$PWD" | cksum | cut -d' ' -f1)"
  fi
fi
data="$pgroot/data"
sock="$pgroot/run"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$bindir" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    mkdir -p "$pgroot"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pgroot"
    if [ ! -f "$data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_owner mkdir -p "$sock"
    if ! as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_owner "$bindir/pg_ctl" -D "$data" -l "$pgroot/server.log" -w -t 30 start \
        -o "-p $PGPORT -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
    fi
    ;;
  stop)
    if [ -f "$data/postmaster.pid" ]; then
      as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
    fi
    ;;
  url)
    echo "postgres://postgres@127.0.0.1:$PGPORT/${2:-askme}"
    ;;
  *)
    echo "usage: $0 start|stop|url [dbname]" >&2
    exit 2
    ;;
esac
