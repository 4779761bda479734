#!/usr/bin/env bash
# A local memcached for the tests, and for `make up` with CACHE_URL=pymemcache://127.0.0.1:<port>:
#   bin/memcached.sh start|stop [port]        (port: MEMCACHED_PORT, default 11219)
# memcached runs in the foreground of its own session and this script writes its pid file:
# memcached's own -P is written after it has dropped to nobody (when started as root), which
# cannot write into a root-owned var/run, so `stop` found nothing and it kept running.
set -euo pipefail
cd "$(dirname "$0")/.."
VAR_DIR="${VAR_DIR:-$PWD/var}"
port="${2:-${MEMCACHED_PORT:-11219}}"
pidfile="$VAR_DIR/run/memcached-$port.pid"
log="$VAR_DIR/log/memcached-$port.log"
mkdir -p "$VAR_DIR/run" "$VAR_DIR/log"

# The pid file names a live memcached (not a pid reused by something else since, nor a zombie).
ours() {
  [ -s "$pidfile" ] || return 1
  local stat
  stat="$(cat "/proc/$(cat "$pidfile")/stat" 2>/dev/null)" || return 1
  [[ "$stat" =~ ^[0-9]+\ \(memcached\)\ [^Z] ]]
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

case "${1:-}" in
  start)
    if ours && listening; then
      echo "memcached already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
      exit 0
    fi
    if listening; then
      echo "bin/memcached.sh: port $port is taken by another process; choose another with MEMCACHED_PORT=<port>" >&2
      exit 1
    fi
    command -v memcached >/dev/null || { echo "bin/memcached.sh: memcached is not installed (apt-get install memcached)" >&2; exit 1; }
    user_opt=()
    [ "$(id -u)" -eq 0 ] && user_opt=(-u nobody)
    setsid memcached -l 127.0.0.1 -p "$port" -U 0 -m 64 "${user_opt[@]}" </dev/null >>"$log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 50); do
      if ours && listening; then echo "memcached started on 127.0.0.1:$port"; exit 0; fi
      kill -0 "$(cat "$pidfile")" 2>/dev/null || break  # it exited (until it has exec'd, it is still "setsid")
      sleep 0.1
    done
    echo "bin/memcached.sh: memcached did not start on 127.0.0.1:$port; last lines of $log:" >&2
    tail -n 10 "$log" >&2
    ours && kill "$(cat "$pidfile")"
    rm -f "$pidfile"
    exit 1
    ;;
  stop)
    if ours; then
      pid="$(cat "$pidfile")"
      kill "$pid"
      for _ in $(seq 1 50); do ours || break; sleep 0.1; done
      echo "memcached stopped on 127.0.0.1:$port"
    fi
    rm -f "$pidfile"
    ;;
  *) echo "usage: $0 start|stop [port]" >&2; exit 2 ;;
esac
