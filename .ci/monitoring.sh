#!/usr/bin/env bash
# The monitoring kit against the real app (docs/deploy.md, "Monitoring and alerts"):
# promtool validates deploy/prometheus (config, rules, the rules' unit tests), then
# gunicorn with production settings serves some traffic and `promtool check metrics`
# lints a real scrape of its /metrics.
#
#   bash .ci/monitoring.sh     # needs PostgreSQL on 127.0.0.1:5432 and Redis; root
#                              # installs Debian's prometheus package when promtool is missing
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PG="${MON_POSTGRES:-postgresql://postgres@127.0.0.1:5432}"
DB="${MON_DB:-catalytic_monitoring}"
REDIS="${MON_REDIS:-redis://127.0.0.1:6379/11}"
EMAIL=monitor-owner@monitoring.example
PASSWORD="mon-$(head -c 12 /dev/urandom | base64 | tr -dc A-Za-z0-9)-password"
WORK="$(mktemp -d)"
PORT="${MON_PORT:-$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
BASE="http://127.0.0.1:$PORT"
GUNICORN_PID=""

cleanup() {
  if [ -n "$GUNICORN_PID" ]; then kill "$GUNICORN_PID" 2>/dev/null || true; wait "$GUNICORN_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

if ! command -v promtool >/dev/null; then
  echo "promtool is missing: installing Debian's prometheus package with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
fi
promtool --version | head -1

# The rules, and the example configuration that loads them.
promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/alerts.yml
(cd deploy/prometheus && promtool test rules alerts.test.yml)

# A real scrape: gunicorn in multiprocess mode, as deployed.
PGOPTIONS="-c client_min_messages=warning" \
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
redis-cli -u "$REDIS" flushdb >/dev/null
export DJANGO_SETTINGS_MODULE=catalytic.settings DEBUG=false SECURE_SSL_REDIRECT=false \
  SECRET_KEY="monitoring-$(head -c 48 /dev/urandom | base64 | tr -dc A-Za-z0-9)" \
  ALLOWED_HOSTS=127.0.0.1 DATABASE_URL="$PG/$DB" REDIS_URL="$REDIS" \
  JWT_KEYS_DIR="$WORK/jwt" CATALYTIC_VAR_DIR="$WORK/var" PROMETHEUS_MULTIPROC_DIR="$WORK/metrics" \
  GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_WORKERS=2 GUNICORN_ACCESS_LOG="" LOG_LEVEL=warning
mkdir -p "$WORK/metrics"
DJANGO_SETTINGS_MODULE=tests.faults.syncdb_settings \
  $PY -m tests.faults.seed "$EMAIL" "$PASSWORD" sk_test_MonitoringUnused0123456789 >/dev/null
$PY manage.py rotate_jwt_keys >/dev/null
$PY -m gunicorn -c gunicorn.conf.py catalytic.wsgi >"$WORK/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 1 60); do curl -fs "$BASE/ping" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "$BASE/ping" >/dev/null || { cat "$WORK/gunicorn.log"; exit 1; }

# Traffic that gives the labelled families samples: views, statuses, a failed login,
# a product call.
curl -fs "$BASE/health" >/dev/null
curl -fs "$BASE/api/plans" >/dev/null
curl -s -o /dev/null "$BASE/api/no-such-thing"
curl -s -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\": \"$EMAIL\", \"password\": \"wrong-$PASSWORD\"}" "$BASE/api/tenants/login"
TOKEN="$(curl -s -H 'Content-Type: application/json' \
  -d "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\"}" "$BASE/api/tenants/login" \
  | $PY -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/api/lattices"

curl -fs "$BASE/metrics" >"$WORK/metrics.txt"
echo "scraped $(grep -c '^# TYPE' "$WORK/metrics.txt") metric families from $BASE/metrics:"
grep '^# TYPE catalytic_' "$WORK/metrics.txt" | cut -d' ' -f3 | paste -sd' ' 
grep -qx 'catalytic_dependency_up{dependency="database"} 1.0' "$WORK/metrics.txt"
grep -qx 'catalytic_dependency_up{dependency="redis"} 1.0' "$WORK/metrics.txt"
# promtool prints one line per naming problem and exits 0 or 1 depending on version:
# either way, any output fails the step.
set +e
LINT="$(promtool check metrics <"$WORK/metrics.txt" 2>&1)"
STATUS=$?
set -e
if [ "$STATUS" -ne 0 ] || [ -n "$LINT" ]; then
  echo "promtool check metrics found problems in the scrape:"
  echo "$LINT"
  exit 1
fi
echo "promtool check metrics: clean"
