#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: typecheck, the Node tests against a real embedded
# PostgreSQL (the dashboards' against a real Superset and headless Chromium, test/containers.test.ts
# against podman), then the Airflow DAG tests (pytest) in the project's Python venv. Installs the
# Python side, Superset, Chromium and the container tooling itself (the setup-*.sh scripts are
# idempotent), stops the test database server at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar

stop_test_db() { node --import tsx test/helpers/stopTestDb.ts || true; }
trap stop_test_db EXIT

echo "== typecheck"
npx tsc --noEmit || exit 1

echo "== python environment (Airflow, pytest, benchmark baseline)"
bash scripts/setup-python.sh || exit 1

echo "== superset venv (in the background), chromium and container tooling"
# Superset's venv is cached outside the checkout, keyed by requirements/superset.lock.txt: minutes
# the first time only. Its install (pip) runs beside the apt-get and debootstrap work of Chromium
# and the container tooling, which cannot run beside each other (dpkg's lock).
superset_log="$(mktemp -t olist-superset.XXXXXX)"
bash scripts/setup-superset.sh >/dev/null 2>"$superset_log" &
superset_pid=$!
setup_ok=1
bash scripts/setup-chromium.sh || setup_ok=0
echo "== container tooling (podman, podman-compose, hadolint, check-jsonschema; deploy/)"
[[ $setup_ok -eq 1 ]] && { bash scripts/setup-containers.sh || setup_ok=0; }
wait "$superset_pid" || setup_ok=0
cat "$superset_log"
rm -f "$superset_log"
[[ $setup_ok -eq 1 ]] || exit 1

# The Airflow tests (pytest) run beside the Node tests: they share nothing (their own throwaway
# OLIST_HOME, embedded server, port and AIRFLOW_HOME), and the real-scheduler test spends most of
# its time waiting for the scheduler, so the two together take little more than the Node tests alone.
# Their output is kept apart and printed after the Node tests', so neither log is interleaved.
pytest_log="$(mktemp -t olist-pytest.XXXXXX)"
echo "== airflow tests (pytest, in the background; output below once the node tests are done)"
.venv/bin/python -m pytest airflow/tests -q -p no:cacheprovider >"$pytest_log" 2>&1 &
pytest_pid=$!

status=0
echo "== node tests"
node --import tsx --test --test-concurrency=1 --test-reporter=spec test/**/*.test.ts || status=1

echo "== airflow tests (pytest)"
wait "$pytest_pid" || status=1
cat "$pytest_log"
rm -f "$pytest_log"

exit $status
