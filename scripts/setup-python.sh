#!/usr/bin/env bash
# Creates/updates the project's Python virtualenv (.venv) for the Airflow DAGs and their tests
# (requirements/airflow.txt) and the benchmark baseline (requirements/bench.txt): installs exactly
# requirements/lock.txt (every package pinned, every file's sha256 checked: --require-hashes).
# Python 3.11 or later (Airflow 3.3's pins need it); the lock is resolved and verified on 3.11.
#
# The venv (about 600 MB) lives OUTSIDE the checkout, in a cache directory keyed by a hash of the
# requirement files and the interpreter version, and <project>/.venv is a symbolic link to it: every
# clone of the same lock shares one install (a fresh clone, CI included, pays seconds, not minutes),
# and a changed lock gets a new directory (old ones can be deleted at will):
#   ${OLIST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/olist-warehouse}/python-<hash>/
# A checkout whose .venv is a real directory (made before this change) keeps using it.
#
# Idempotent and cheap when nothing changed: a stamp file in the venv records that hash; when it
# matches, the script exits at once.
#
# Usage: scripts/setup-python.sh [--force]
# Env:   PYTHON (interpreter used to create the venv, default python3; needs 3.11-3.13)
#        OLIST_VENV (venv location; no link is made then)
#        OLIST_CACHE_DIR (the cache directory above)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
REQ="$ROOT/requirements"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

py_version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
case "$py_version" in
  3.11|3.12|3.13) ;;
  *) echo "setup-python: the pinned Airflow 3.3 needs Python 3.11-3.13 (verified on 3.11), $PYTHON is $py_version; set PYTHON=python3.11" >&2; exit 1 ;;
esac

want="$( { echo "python $py_version"; cat "$REQ/airflow.txt" "$REQ/bench.txt" "$REQ/constraints.txt" "$REQ/lock.txt"; } | sha256sum | cut -d' ' -f1)"

LINK=""
if [[ -n "${OLIST_VENV:-}" ]]; then
  VENV="$OLIST_VENV"
elif [[ -d "$ROOT/.venv" && ! -L "$ROOT/.venv" ]]; then
  VENV="$ROOT/.venv"
else
  VENV="${OLIST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/olist-warehouse}/python-${want:0:16}"
  LINK="$ROOT/.venv"
fi
STAMP="$VENV/.olist-requirements.sha256"
# <project>/.venv -> the cached venv (tests, `olist airflow` and the docs use .venv/bin/...).
link_venv() { if [[ -n "$LINK" ]]; then ln -sfn "$VENV" "$LINK"; fi; }

if [[ $FORCE -eq 0 && -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  link_venv
  echo "setup-python: $VENV is up to date"
  exit 0
fi

mkdir -p "$(dirname "$VENV")"
# One installer at a time (e.g. two test wrappers started together).
exec 9>"${TMPDIR:-/tmp}/olist-venv-$(echo "$VENV" | sha256sum | cut -c1-12).lock"
flock 9
# Another process may have finished the job while we waited for the lock.
if [[ $FORCE -eq 0 && -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  link_venv
  echo "setup-python: $VENV is up to date"
  exit 0
fi

start=$(date +%s)
if [[ -x "$VENV/bin/python" ]]; then
  have="$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)"
  if [[ "$have" != "$py_version" ]]; then
    echo "setup-python: recreating $VENV (Python $have -> $py_version)"
    rm -rf "$VENV"
  fi
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup-python: creating $VENV with $PYTHON ($py_version)"
  "$PYTHON" -m venv "$VENV"
fi
rm -f "$STAMP"

echo "setup-python: installing requirements/lock.txt (hash-checked)"
# This machine's pip config lists optional local indexes that may not exist; drop that noise only.
# Wheels are cached by pip (PIP_CACHE_DIR, default ~/.cache/pip): a warm install downloads nothing.
set +e
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
  -r "$REQ/lock.txt" 2>&1 |
  grep -v "^WARNING: Location 'file:" 
rc=${PIPESTATUS[0]}
set -e
if [[ $rc -ne 0 ]]; then
  echo "setup-python: pip install failed ($rc)" >&2
  exit "$rc"
fi
"$VENV/bin/python" -m pip check --disable-pip-version-check
# Smoke test: the modules the DAGs, tests and benchmark import.
"$VENV/bin/python" -c '
import airflow, sqlalchemy, pandas, psycopg2, asyncpg, pytest
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator
print("setup-python: airflow", airflow.__version__, "| sqlalchemy", sqlalchemy.__version__, "| pandas", pandas.__version__)
'
echo "$want" > "$STAMP"
link_venv
echo "setup-python: done in $(( $(date +%s) - start ))s"
