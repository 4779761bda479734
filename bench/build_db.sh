#!/usr/bin/env bash
# Build the benchmark database: a fresh PostgreSQL database on the bin/pg.sh cluster, migrated
# and filled by `fill_db <ratio>`; prints fill_db's summary and the wall time / peak RSS.
#   bench/build_db.sh [ratio=10000] [dbname=askme_scale]
set -euo pipefail
cd "$(dirname "$0")/.."
ratio="${1:-10000}"
db="${2:-askme_scale}"
bin/pg.sh start
admin_url="$(bin/pg.sh url postgres)"
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
export DATABASE_URL="$(bin/pg.sh url "$db")" LIVE_BACKEND="${LIVE_BACKEND:-off}"
.venv/bin/python manage.py migrate --noinput -v0
/usr/bin/time -f "fill_db wall %e s, peak RSS %M KB" \
  .venv/bin/python manage.py fill_db "$ratio" --seed "${SEED:-1}" --progress "${PROGRESS:-auto}"
psql -q "$DATABASE_URL" -At -c "SELECT 'database size ' || pg_size_pretty(pg_database_size('$db'))"
