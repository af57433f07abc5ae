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

LIVE_NAME=monitoring LIVE_DB="${MON_DB:-catalytic_monitoring}"
LIVE_REDIS="${MON_REDIS:-redis://127.0.0.1:6379/11}" LIVE_PORT="${MON_PORT:-}"
# shellcheck source=.ci/live_app.sh
source .ci/live_app.sh

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
start_live_app

# Traffic that gives the labelled families samples: views, statuses, a failed login,
# a product call.
curl -fs "$BASE/health" >/dev/null
curl -fs "$BASE/api/plans" >/dev/null
curl -s -o /dev/null "$BASE/api/no-such-thing"
curl -s -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\": \"$EMAIL\", \"password\": \"wrong-$PASSWORD\"}" "$BASE/api/tenants/login"
TOKEN="$(owner_token)"
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
