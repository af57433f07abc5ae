# Sourced by backup.sh and restore.sh: DATABASE_URL as libpq (pg_dump, psql) takes it.
# The app's URL may carry query parameters that only dj-database-url understands
# (conn_max_age=600, pool=...); libpq refuses any parameter it does not know, so keep
# only libpq's own.
libpq_url() {
  local url="$1" base query kept="" pair
  base="${url%%\?*}"
  if [ "$base" = "$url" ]; then
    printf '%s\n' "$url"
    return
  fi
  query="${url#*\?}"
  IFS='&' read -ra pairs <<<"$query"
  for pair in "${pairs[@]}"; do
    case "${pair%%=*}" in
      host | hostaddr | port | dbname | user | password | passfile | service | options | \
        application_name | connect_timeout | keepalives | keepalives_idle | \
        keepalives_interval | keepalives_count | target_session_attrs | channel_binding | \
        gssencmode | sslmode | sslcert | sslkey | sslpassword | sslrootcert | sslcrl | \
        sslcompression | requiressl)
        kept="${kept:+$kept&}$pair"
        ;;
    esac
  done
  printf '%s\n' "${base}${kept:+?$kept}"
}
