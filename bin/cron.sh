#!/usr/bin/env bash
# The sidebar cron job for this checkout: bin/cron.sh install|remove|line
#   install  put the line from deploy/crontab in the current user's crontab (idempotent) and
#            start Debian's cron daemon when it is not running;
#   remove   take this checkout's line out again (other lines are left alone);
#   line     print the line as it would be installed.
# The line carries the database and cache settings of the environment it is installed from
# (DATABASE_URL, CACHE_URL, CACHE_KEY_PREFIX, VAR_DIR), since cron starts jobs with almost none.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VAR_DIR="${VAR_DIR:-$ROOT/var}"
# The interval is a Django setting (SIDEBAR_CRON_MINUTES, default in askme/settings.py only).
MINUTES="$(.venv/bin/python -c 'import askme.settings as s; print(s.SIDEBAR_CRON_MINUTES)')"
CRONTAB="${CRONTAB:-crontab}"   # tests point this at a stand-in so no real crontab is touched
# CRON_TAG tells apart several nodes of one checkout on one machine (`make cluster`: node1, node2).
MARKER="# askme-sidebar $ROOT${CRON_TAG:+ $CRON_TAG}"

quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

render() {
  local env="env" name flock_bin
  case "$ROOT$VAR_DIR" in
    *[[:space:]\'\"\\%\$\`]*) echo "cron.sh: paths with spaces or quotes are not supported" >&2; exit 1 ;;
  esac
  for name in DATABASE_URL CACHE_URL CACHE_KEY_PREFIX; do
    [ -n "${!name:-}" ] && env+=" $name=$(quote "${!name}")"
  done
  env+=" VAR_DIR=$VAR_DIR"
  flock_bin="$(command -v flock || echo /usr/bin/flock)"
  # Plain string replacement (no regex, no & magic); then cron's one special character: a bare
  # % would become a newline, so escape it (a URL-encoded password may have one).
  # Values go in through ENVIRON, not -v, so awk does not interpret backslashes in them.
  grep -v '^[[:space:]]*\(#\|$\)' deploy/crontab | head -1 | sed "s|# askme-sidebar @ROOT@\$|$MARKER|" | \
    R_ROOT="$ROOT" R_VAR="$VAR_DIR" R_ENV="$env" R_FLOCK="$flock_bin" R_MINUTES="$MINUTES" awk '
    function rep(s, from, to,    out, i) {
      out = ""
      while ((i = index(s, from)) > 0) { out = out substr(s, 1, i - 1) to; s = substr(s, i + length(from)) }
      return out s
    }
    {
      line = rep($0, "@MINUTES@", ENVIRON["R_MINUTES"]); line = rep(line, "@ROOT@", ENVIRON["R_ROOT"])
      line = rep(line, "@VAR@", ENVIRON["R_VAR"]); line = rep(line, "@FLOCK@", ENVIRON["R_FLOCK"])
      line = rep(line, "@ENV@", rep(ENVIRON["R_ENV"], "%", "\\%"))
      print line
    }'
}

current() { "$CRONTAB" -l 2>/dev/null || true; }
# Ours: the lines that end with this checkout's marker (not a sibling checkout's /path2).
is_ours='{ ours = length($0) >= length(m) && substr($0, length($0) - length(m) + 1) == m }'
without_ours() { awk -v m="$MARKER" "$is_ours !ours"; }
has_ours() { awk -v m="$MARKER" "$is_ours ours { found = 1 } END { exit !found }"; }

case "${1:-}" in
  line)
    render
    ;;
  install)
    command -v "$CRONTAB" >/dev/null || { echo "cron.sh: no crontab command (apt-get install cron)" >&2; exit 1; }
    mkdir -p "$VAR_DIR/run" "$VAR_DIR/log"
    line="$(render)"
    old="$(current)"
    new="$(printf '%s\n' "$old" | without_ours | sed '/./,$!d')"
    new="$(printf '%s\n%s\n' "$new" "$line" | sed '/./,$!d')"
    if [ "$old" != "$new" ]; then
      printf '%s\n' "$new" | "$CRONTAB" -
      echo "cron: sidebar refresh every $MINUTES min installed for $(id -un) (log: $VAR_DIR/log/refresh_sidebar.log)"
    fi
    if [ "${CRON_START:-1}" = 1 ] && ! pgrep -x cron >/dev/null 2>&1; then
      if [ "$(id -u)" -eq 0 ] && command -v cron >/dev/null; then
        cron && echo "cron: daemon started"
      else
        echo "cron: the cron daemon is not running; start it (sudo service cron start)" >&2
      fi
    fi
    ;;
  remove)
    command -v "$CRONTAB" >/dev/null || exit 0
    old="$(current)"
    printf '%s\n' "$old" | has_ours || exit 0
    new="$(printf '%s\n' "$old" | without_ours)"
    if [ -z "$(printf '%s' "$new" | tr -d '[:space:]')" ]; then
      "$CRONTAB" -r
    else
      printf '%s\n' "$new" | "$CRONTAB" -
    fi
    echo "cron: sidebar refresh removed for $(id -un)"
    ;;
  *)
    echo "usage: $0 install|remove|line" >&2
    exit 2
    ;;
esac
