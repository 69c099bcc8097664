#!/bin/bash
# Superset's start in the olist stack: migrate its metadata, make sure the admin exists, import
# the dashboards bundle (same UUIDs each time, so a restart updates rather than duplicates), point
# the bundle's database at the warehouse through the read-only role, then serve.
# Written against the official image; not run on our machines (docs/deployment.md).
set -euo pipefail
superset db upgrade
superset fab create-admin --username "${SUPERSET_ADMIN_USER:-admin}" --firstname Olist --lastname Admin \
  --email "${SUPERSET_ADMIN_EMAIL:-admin@localhost}" --password "${SUPERSET_ADMIN_PASSWORD:?}" || true
superset init
# The dashboards: the asset bundle the olist CLI writes from bi/ (`olist bi bundle --out DIR`, run
# by the pipeline service into the shared bi-bundle volume after a publish; it reads each dataset's
# columns from the warehouse), mounted at /app/olist-bundle: the folder olist_bundle/ (zipped here
# with Superset's own Python) or a ZIP. Its database entry carries no password; set-database-uri
# gives it the analyst's URI.
bundle=""
if [[ -f /app/olist-bundle/olist_bundle/metadata.yaml ]]; then
  bundle=/tmp/olist_bundle.zip
  rm -f "$bundle"
  (cd /app/olist-bundle && python -m zipfile -c "$bundle" olist_bundle)
else
  bundle="$(ls /app/olist-bundle/*.zip 2>/dev/null | head -1 || true)"
fi
if [[ -n "$bundle" ]]; then
  superset import-dashboards --path "$bundle" --username "${SUPERSET_ADMIN_USER:-admin}"
  superset set-database-uri --database_name "${OLIST_SUPERSET_DATABASE_NAME:-Olist warehouse}" --uri "$OLIST_WAREHOUSE_URI"
else
  echo "olist-start.sh: no dashboards bundle in /app/olist-bundle yet: after the first load run \`docker compose run --rm pipeline bi bundle --out /var/lib/olist-bi\` and restart superset (docs/deployment.md); starting without dashboards" >&2
fi
exec /usr/bin/run-server.sh
