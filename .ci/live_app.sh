# Sourced by the CI scripts that need the app running as deployed: gunicorn with
# production settings on a free loopback port, a fresh PostgreSQL database with one
# Enterprise tenant, and a cleanup on exit.
#
#   LIVE_NAME=monitoring LIVE_DB=... LIVE_REDIS=... source .ci/live_app.sh
#   start_live_app                # serves on $BASE; owner $EMAIL / $PASSWORD
#   TOKEN="$(owner_token)"

PY=.venv/bin/python
PG="${LIVE_POSTGRES:-postgresql://postgres@127.0.0.1:5432}"
EMAIL="owner@$LIVE_NAME.example"
PASSWORD="$LIVE_NAME-$(head -c 12 /dev/urandom | base64 | tr -dc A-Za-z0-9)-password"
WORK="$(mktemp -d)"
PORT="${LIVE_PORT:-$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
BASE="http://127.0.0.1:$PORT"
GUNICORN_PID=""

cleanup_live_app() {
  if [ -n "$GUNICORN_PID" ]; then kill "$GUNICORN_PID" 2>/dev/null || true; wait "$GUNICORN_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup_live_app EXIT

start_live_app() {
  PGOPTIONS="-c client_min_messages=warning" \
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $LIVE_DB WITH (FORCE)" -c "CREATE DATABASE $LIVE_DB"
  redis-cli -u "$LIVE_REDIS" flushdb >/dev/null
  export DJANGO_SETTINGS_MODULE=catalytic.settings DEBUG=false SECURE_SSL_REDIRECT=false \
    SECRET_KEY="$LIVE_NAME-$(head -c 48 /dev/urandom | base64 | tr -dc A-Za-z0-9)" \
    ALLOWED_HOSTS=127.0.0.1 DATABASE_URL="$PG/$LIVE_DB" REDIS_URL="$LIVE_REDIS" \
    JWT_KEYS_DIR="$WORK/jwt" CATALYTIC_VAR_DIR="$WORK/var" PROMETHEUS_MULTIPROC_DIR="$WORK/metrics" \
    GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_WORKERS=2 GUNICORN_ACCESS_LOG="" LOG_LEVEL=warning \
    EMAIL_DELIVERY_MODE=worker
  mkdir -p "$WORK/metrics"
  # Tables straight from the models (seconds, where dj-stripe's migrations take ~50 s).
  DJANGO_SETTINGS_MODULE=tests.faults.syncdb_settings \
    $PY -m tests.faults.seed "$EMAIL" "$PASSWORD" "sk_test_${LIVE_NAME}Unused0123456789" >/dev/null
  $PY manage.py rotate_jwt_keys >/dev/null  # production refuses to invent a signing key
  $PY manage.py collectstatic --noinput >/dev/null  # as the Dockerfile does: pages need it
  $PY -m gunicorn -c gunicorn.conf.py catalytic.wsgi >"$WORK/gunicorn.log" 2>&1 &
  GUNICORN_PID=$!
  for _ in $(seq 1 60); do curl -fs "$BASE/ping" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fs "$BASE/ping" >/dev/null || { cat "$WORK/gunicorn.log"; exit 1; }
}

owner_token() {
  curl -s -H 'Content-Type: application/json' \
    -d "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\"}" "$BASE/api/tenants/login" \
    >"$WORK/login.json"
  $PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["access_token"])' \
    "$WORK/login.json" || { cat "$WORK/login.json" "$WORK/gunicorn.log" >&2; exit 1; }
}
