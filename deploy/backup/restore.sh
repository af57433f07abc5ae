#!/usr/bin/env bash
# Restore a dump made by backup.sh into an empty database (docs/deploy.md, "Backup and
# restore").
#
#   createdb catalytic_restored
#   DATABASE_URL=postgresql://.../catalytic_restored deploy/backup/restore.sh FILE.dump
#
# Refuses a database that already has tables, so it never mixes a backup into live data.
# Objects are owned by the user in DATABASE_URL (the app's user), whoever owned them in
# the dumped database. All or nothing: one transaction, stopped at the first error.
set -euo pipefail
# shellcheck source=libpq_url.sh
source "$(dirname "$0")/libpq_url.sh"

: "${DATABASE_URL:?set DATABASE_URL to the empty database to restore into}"
DATABASE_URL="$(libpq_url "$DATABASE_URL")"
dump="${1:?usage: restore.sh FILE.dump}"
[ -r "$dump" ] || { echo "restore.sh: cannot read $dump" >&2; exit 1; }

tables="$(psql "$DATABASE_URL" -XAtc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
if [ "$tables" != "0" ]; then
  echo "restore.sh: the target database already has $tables tables; restore into a new one" >&2
  exit 1
fi

pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
  --dbname="$DATABASE_URL" "$dump"
echo "restored $dump"
