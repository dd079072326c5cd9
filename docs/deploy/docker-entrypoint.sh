#!/bin/sh
# The Docker image's entrypoint, installed as /usr/local/bin/coachdesk: the bundled sync server's
# command line with the image's defaults put first (a flag given again wins, the last one counts).
#
#   docker run IMAGE                          serve --db /data/sync.db --host 0.0.0.0 --port 8787
#                                                   --app-dir /app/trainee
#   docker run IMAGE --public-url URL         the same, with more flags for serve
#   docker run IMAGE add-coach --name Ana     any other command, on --db /data/sync.db
#   docker compose exec sync coachdesk backup --to /data/backup.db     (beside a running server)
set -eu

DB="${COACHDESK_DB:-/data/sync.db}"
BUNDLE=/app/server/cli.mjs

# No arguments, or flags only: serve.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- serve "$@"
fi

command="$1"
shift
case "$command" in
  serve)
    set -- serve --db "$DB" --host 0.0.0.0 --port 8787 --app-dir /app/trainee "$@"
    ;;
  help | --help)
    set -- help
    ;;
  *)
    set -- "$command" --db "$DB" "$@"
    ;;
esac

# exec: node is the process Docker signals (SIGTERM on stop), and its exit code is the container's.
exec node --enable-source-maps "$BUNDLE" "$@"
