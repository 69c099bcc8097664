#!/bin/bash
# Superset's start in the olist stack: migrate its metadata, make sure the admin exists, import
# the dashboards bundle from bi/ (same UUIDs each time, so a restart updates rather than
# duplicates), point the bundle's database at the warehouse through the read-only role, then serve.
# Written against the official image; not run on our machines (docs/deployment.md).
set -euo pipefail
superset db upgrade
superset fab create-admin --username "${SUPERSET_ADMIN_USER:-admin}" --firstname Olist --lastname Admin \
  --email "${SUPERSET_ADMIN_EMAIL:-admin@localhost}" --password "${SUPERSET_ADMIN_PASSWORD:?}" || true
superset init
# bi/ holds the bundle as YAML (dashboards as code); Superset imports a ZIP of that tree.
bundle=/tmp/olist-dashboards.zip
(cd /app/olist-bi && python -m zipfile -c "$bundle" superset) 
superset import-dashboards --path "$bundle" --username "${SUPERSET_ADMIN_USER:-admin}"
superset set-database-uri --database_name "${OLIST_SUPERSET_DATABASE_NAME:-olist warehouse}" --uri "$OLIST_WAREHOUSE_URI"
exec /usr/bin/run-server.sh
