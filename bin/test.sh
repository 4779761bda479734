#!/usr/bin/env bash
# `make test`: lint, then the whole suite on SQLite + file cache, then on PostgreSQL + memcached.
set -euo pipefail
cd "$(dirname "$0")/.."
export VAR_DIR="${VAR_DIR:-$PWD/var}"
mkdir -p "$VAR_DIR/run"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# The translations the pages are rendered with (tests/conftest.py compiles them too, for a
# plain pytest run).
.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

run_pytest() {
  local label=$1; shift
  echo "== tests on $label =="
  # Each run gets its own cache dir and media root so nothing leaks between runs.
  .venv/bin/python -m pytest "$@" ${PYTEST_ARGS:-}
}

rm -rf "$VAR_DIR/test-cache" "$VAR_DIR/test-uploads"
CACHE_URL="file://$VAR_DIR/test-cache" MEDIA_ROOT="$VAR_DIR/test-uploads" LIVE_BACKEND=off \
  run_pytest "SQLite + file cache"

if [ "${ASKME_TEST_SQLITE_ONLY:-}" = 1 ]; then exit 0; fi

cleanup() { bin/pg.sh stop; bin/memcached.sh stop; }
trap cleanup EXIT
bin/pg.sh start
bin/memcached.sh start
DATABASE_URL="$(bin/pg.sh url askme)" CACHE_URL="pymemcache://127.0.0.1:${MEMCACHED_PORT:-11219}" \
  MEDIA_ROOT="$VAR_DIR/test-uploads" LIVE_BACKEND=off \
  run_pytest "PostgreSQL + memcached"
