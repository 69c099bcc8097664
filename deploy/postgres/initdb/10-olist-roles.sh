#!/bin/bash
# First start of the stack's PostgreSQL only (the official image runs /docker-entrypoint-initdb.d
# once, on an empty data directory). Creates one role and database per tenant, each with its own
# password from deploy/.env:
#   olist          owns database olist: the pipeline (creates and swaps the schemas it publishes)
#   olist_reader   group role without login holding the read privileges (the same group the CLI
#                  manages on a server where it may create roles: docs/serving.md)
#   olist_analyst  login, member of olist_reader, read-only (Superset, Metabase, analysts)
#   airflow        owns database airflow (Airflow's metadata)
#   superset       owns database superset (Superset's metadata)
#   metabase       owns database metabase, only when METABASE_DB_PASSWORD is set
# Rotating passwords later: docs/deployment.md#rotating-credentials.
set -euo pipefail
: "${OLIST_DB_PASSWORD:?}" "${OLIST_ANALYST_PASSWORD:?}" "${AIRFLOW_DB_PASSWORD:?}" "${SUPERSET_DB_PASSWORD:?}"

sql() { psql -v ON_ERROR_STOP=1 --no-psqlrc -q --username "${POSTGRES_USER:-postgres}" "$@"; }

owner_db() { # role password database
  sql --dbname postgres -v role="$1" -v pw="$2" -v db="$3" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
}

owner_db olist "$OLIST_DB_PASSWORD" olist
owner_db airflow "$AIRFLOW_DB_PASSWORD" airflow
owner_db superset "$SUPERSET_DB_PASSWORD" superset
if [[ -n "${METABASE_DB_PASSWORD:-}" ]]; then owner_db metabase "$METABASE_DB_PASSWORD" metabase; fi

# The analyst reads what the pipeline publishes, and only that: every build of the CLI grants
# olist_reader USAGE and SELECT on its own warehouse and marts build schemas, so the grants travel
# with the schemas through the publish's rename (src/db/analyst.ts). No default privileges here:
# they would also open raw, staging and audit (the quarantined values) to the analyst.
sql --dbname olist -v pw="$OLIST_ANALYST_PASSWORD" <<'SQL'
CREATE ROLE olist_reader NOLOGIN;
CREATE ROLE olist_analyst LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw' IN ROLE olist_reader;
GRANT CONNECT ON DATABASE olist TO olist_reader;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER ROLE olist_analyst SET default_transaction_read_only = on;
ALTER ROLE olist_analyst SET search_path = marts, warehouse;
ALTER ROLE olist_analyst SET statement_timeout = '5min';
SQL
echo "10-olist-roles.sh: roles olist, olist_reader, olist_analyst, airflow, superset created"
