#!/usr/bin/env bash
# Install the Debian packages Arrears needs, then start PostgreSQL and Redis on 127.0.0.1.
# Safe to run again while they are up. Needs root (CI runs as root). Prints the URLs to use.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
STATE_DIR=${STATE_DIR:-/tmp/arrears-services}
REDIS_PORT=${REDIS_PORT:-6379}
DB_NAME=${DB_NAME:-arrears}
DB_USER=${DB_USER:-arrears}
DB_PASS=${DB_PASS:-arrears}
mkdir -p "$STATE_DIR"

need=""
for pkg in postgresql redis-server poppler-utils chromium libpango-1.0-0 libpangoft2-1.0-0 \
           libharfbuzz-subset0 fonts-dejavu-core; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ] || need="$need $pkg"
done
if [ -n "$need" ]; then
  echo "services: apt-get install$need"
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $need >/dev/null
fi

# apt does not start services on this image (policy-rc.d), so start them here.
PGVER=$(ls /usr/lib/postgresql | sort -V | tail -1)
pg_lsclusters -h | awk -v v="$PGVER" '$1==v && $2=="main"{f=1} END{exit !f}' || pg_createcluster "$PGVER" main >/dev/null
PG_PORT=$(pg_lsclusters -h | awk -v v="$PGVER" '$1==v && $2=="main"{print $3}')
pg_lsclusters -h | awk -v v="$PGVER" '$1==v && $2=="main"{print $4}' | grep -q online || pg_ctlcluster "$PGVER" main start
for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.5; done
pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
psql_pg() { runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -tA "$@"; }
[ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'")" = 1 ] ||
  psql_pg -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASS' CREATEDB" >/dev/null
[ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'")" = 1 ] ||
  runuser -u postgres -- createdb -p "$PG_PORT" -O "$DB_USER" "$DB_NAME"

if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$STATE_DIR" --pidfile "$STATE_DIR/redis.pid" --logfile "$STATE_DIR/redis.log"
fi
for _ in $(seq 1 50); do [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping)" = PONG ]

echo "DATABASE_URL=postgresql://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/$DB_NAME"
echo "CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0"
