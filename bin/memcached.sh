#!/usr/bin/env bash
# A local memcached for the tests: bin/memcached.sh start|stop [port]
set -euo pipefail
cd "$(dirname "$0")/.."
VAR_DIR="${VAR_DIR:-$PWD/var}"
port="${2:-${MEMCACHED_PORT:-11219}}"
pidfile="$VAR_DIR/run/memcached-$port.pid"
mkdir -p "$VAR_DIR/run"
case "${1:-}" in
  start)
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then exit 0; fi
    user_opt=()
    [ "$(id -u)" -eq 0 ] && user_opt=(-u nobody)
    memcached -d -l 127.0.0.1 -p "$port" -U 0 -m 64 -P "$pidfile" "${user_opt[@]}"
    for _ in $(seq 1 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
    ;;
  stop)
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
    ;;
  *) echo "usage: $0 start|stop [port]" >&2; exit 2 ;;
esac
