#!/bin/sh
# The Docker image's entrypoint, installed as /usr/local/bin/coachdesk: the bundled sync server's
# command line with the image's defaults put first (a flag given again wins, the last one counts).
#
#   docker run IMAGE                          serve --db /data/sync.db --host 0.0.0.0 --port 8787
#                                                   --app-dir /app/trainee
#   docker run IMAGE --public-url URL         the same, with more flags for serve
#   docker run IMAGE add-coach --name Ana     any other command, on --db /data/sync.db
#   docker compose exec sync coachdesk backup --to /data/backup.db     (beside a running server)
#
# The store: --db FILE or --postgres URL when the command line gives one (then nothing is
# added), else --postgres "$COACHDESK_POSTGRES" when that variable is set (the nodes of
# docs/deploy/compose.postgres.yaml), else --db "$COACHDESK_DB" (default /data/sync.db). The
# password may stay out of the URL: PGPASSWORD (and PGUSER, PGHOST, … PGSSLMODE) are read too.
#
#   docker run -e COACHDESK_POSTGRES=postgres://coachdesk@db/coachdesk -e PGPASSWORD=… IMAGE
#   docker compose -f docs/deploy/compose.postgres.yaml exec sync-1 coachdesk add-coach --name Ana
#   docker compose -f docs/deploy/compose.postgres.yaml run --rm sync-1 add-coach --name Ana
#
# A first word "coachdesk" is dropped, so `docker compose run --rm SERVICE coachdesk add-coach …`
# (the command written as for `exec`) works too.
set -eu

DB="${COACHDESK_DB:-/data/sync.db}"
POSTGRES="${COACHDESK_POSTGRES:-}"
BUNDLE=/app/server/cli.mjs

if [ "$#" -gt 0 ] && [ "$1" = coachdesk ]; then
  shift
fi

# No arguments, or flags only: serve.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- serve "$@"
fi

command="$1"
shift

# Whether the command line names its store itself (--db F, --db=F, --postgres U, --postgres=U).
store_given=no
for arg in "$@"; do
  case "$arg" in
    --db | --db=* | --postgres | --postgres=*) store_given=yes ;;
  esac
done

# The store flag to put first, as two words in $store_flag and $store_value (none when given).
store_flag=
store_value=
if [ "$store_given" = no ]; then
  if [ -n "$POSTGRES" ]; then
    store_flag=--postgres
    store_value="$POSTGRES"
  else
    store_flag=--db
    store_value="$DB"
  fi
fi

case "$command" in
  serve)
    if [ -n "$store_flag" ]; then
      set -- serve "$store_flag" "$store_value" --host 0.0.0.0 --port 8787 --app-dir /app/trainee "$@"
    else
      set -- serve --host 0.0.0.0 --port 8787 --app-dir /app/trainee "$@"
    fi
    ;;
  help | --help)
    set -- help
    ;;
  *)
    if [ -n "$store_flag" ]; then
      set -- "$command" "$store_flag" "$store_value" "$@"
    else
      set -- "$command" "$@"
    fi
    ;;
esac

# exec: node is the process Docker signals (SIGTERM on stop), and its exit code is the container's.
exec node --enable-source-maps "$BUNDLE" "$@"
