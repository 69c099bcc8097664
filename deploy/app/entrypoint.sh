#!/bin/sh
# The image's entrypoint and its `olist` command: waits for DATABASE_URL's server to accept
# connections (compose starts services together, and podman does not gate on healthchecks), then
# runs the CLI in this process (exec), so signals and the exit code are the CLI's own.
set -eu
if [ -z "${DATABASE_URL:-}" ]; then
  echo "olist: DATABASE_URL is not set (the container never starts an embedded PostgreSQL)" >&2
  exit 1
fi
if [ "${OLIST_DB_WAIT_SECONDS:-0}" -gt 0 ]; then
  node /app/deploy/app/wait-for-db.mjs "$OLIST_DB_WAIT_SECONDS"
fi
exec node /app/bin/olist.js "$@"
