#!/usr/bin/env bash
# Dump Catalytic's PostgreSQL database to one file (docs/deploy.md, "Backup and restore").
#
#   DATABASE_URL=postgresql://... deploy/backup/backup.sh [DIRECTORY]
#
# Writes DIRECTORY/catalytic-<UTC time>.dump (pg_dump's custom format: compressed,
# restorable table by table), checks that pg_restore can read it, and deletes dumps in
# DIRECTORY older than BACKUP_KEEP_DAYS (default 14). DIRECTORY defaults to $BACKUP_DIR,
# else /var/backups/catalytic. Prints the new file's path. pg_dump must be the server's
# major version or newer.
set -euo pipefail
# shellcheck source=libpq_url.sh
source "$(dirname "$0")/libpq_url.sh"

: "${DATABASE_URL:?set DATABASE_URL to the database to dump}"
DATABASE_URL="$(libpq_url "$DATABASE_URL")"
directory="${1:-${BACKUP_DIR:-/var/backups/catalytic}}"
keep_days="${BACKUP_KEEP_DAYS:-14}"

umask 077  # the dump holds every tenant's data and every password hash
mkdir -p "$directory"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
final="$directory/catalytic-$stamp.dump"
partial="$directory/.catalytic-$stamp.dump.partial"
trap 'rm -f "$partial"' EXIT

# One consistent snapshot (pg_dump reads in a single repeatable-read transaction), so
# the app keeps serving while it runs.
pg_dump --format=custom --compress=6 --dbname="$DATABASE_URL" --file="$partial"
pg_restore --list "$partial" >/dev/null
mv "$partial" "$final"

find "$directory" -maxdepth 1 -name 'catalytic-*.dump' -mtime +"$keep_days" -delete
echo "$final"
