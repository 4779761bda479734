#!/usr/bin/env bash
# A local Redis for Nchan's shared channels (`make cluster`): bin/redis.sh start|stop [port]
# (port: REDIS_PORT, default 8306). Nothing is persisted (Nchan runs in nostore mode: Redis only
# carries messages between nodes). Runs in the foreground of its own session; this script
# writes its pid file, like bin/memcached.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
VAR_DIR="${VAR_DIR:-$PWD/var}"
port="${2:-${REDIS_PORT:-8306}}"
pidfile="$VAR_DIR/run/redis-$port.pid"
log="$VAR_DIR/log/redis-$port.log"
mkdir -p "$VAR_DIR/run" "$VAR_DIR/log"

ours() {
  [ -s "$pidfile" ] || return 1
  local stat
  stat="$(cat "/proc/$(cat "$pidfile")/stat" 2>/dev/null)" || return 1
  [[ "$stat" =~ ^[0-9]+\ \(redis-server\)\ [^Z] ]]
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

case "${1:-}" in
  start)
    if ours && listening; then
      echo "redis already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
      exit 0
    fi
    if listening; then
      echo "bin/redis.sh: port $port is taken by another process; choose another with REDIS_PORT=<port>" >&2
      exit 1
    fi
    command -v redis-server >/dev/null || { echo "bin/redis.sh: redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
    setsid redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
      --dir "$VAR_DIR/run" </dev/null >>"$log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 50); do
      if ours && listening; then echo "redis started on 127.0.0.1:$port"; exit 0; fi
      kill -0 "$(cat "$pidfile")" 2>/dev/null || break  # it exited (until it has exec'd, it is still "setsid")
      sleep 0.1
    done
    echo "bin/redis.sh: redis did not start on 127.0.0.1:$port; last lines of $log:" >&2
    tail -n 10 "$log" >&2
    ours && kill "$(cat "$pidfile")"
    rm -f "$pidfile"
    exit 1
    ;;
  stop)
    if ours; then
      kill "$(cat "$pidfile")"
      for _ in $(seq 1 50); do ours || break; sleep 0.1; done
      echo "redis stopped on 127.0.0.1:$port"
    fi
    rm -f "$pidfile"
    ;;
  *) echo "usage: $0 start|stop [port]" >&2; exit 2 ;;
esac
