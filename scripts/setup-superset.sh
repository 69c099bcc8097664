#!/usr/bin/env bash
# Installs Apache Superset (for `olist bi` and the dashboard tests) into a venv of its own, exactly
# as pinned in requirements/superset.lock.txt (pip --no-deps: nothing is resolved at install time).
#
# The venv (about 820 MB) lives OUTSIDE the checkout, in a cache directory keyed by a hash of the
# lock file and the interpreter version, so every clone of the same lock shares one install and a
# changed lock gets a new directory (old ones can be deleted at will):
#   ${OLIST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/olist-warehouse}/superset-<hash>/
# Idempotent and cheap when the venv is complete (a stamp file is written last).
# Prints the venv's path as its last line of stdout.
#
# Env: PYTHON (interpreter for the venv; default python3.11 if present, else python3; 3.10-3.12)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCK="$ROOT/requirements/superset.lock.txt"
if [[ -z "${PYTHON:-}" ]]; then
  if command -v python3.11 >/dev/null; then PYTHON=python3.11; else PYTHON=python3; fi
fi
py_version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
case "$py_version" in
  3.10|3.11|3.12) ;;
  *) echo "setup-superset: Superset 6.1 needs Python 3.10-3.12, $PYTHON is $py_version" >&2; exit 1 ;;
esac

CACHE="${OLIST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/olist-warehouse}"
hash="$( { echo "python $py_version"; cat "$LOCK"; } | sha256sum | cut -c1-16)"
VENV="$CACHE/superset-$hash"
STAMP="$VENV/.olist-installed"

if [[ -f "$STAMP" && -x "$VENV/bin/superset" ]]; then
  echo "setup-superset: $VENV is up to date" >&2
  echo "$VENV"
  exit 0
fi

mkdir -p "$CACHE"
# One installer per venv at a time (two test runs or two clones starting together).
exec 9>"$CACHE/superset-$hash.lock"
flock 9
if [[ -f "$STAMP" && -x "$VENV/bin/superset" ]]; then
  echo "setup-superset: $VENV is up to date" >&2
  echo "$VENV"
  exit 0
fi

start=$(date +%s)
# A half-made venv (interrupted install) is started over.
rm -rf "$VENV"
echo "setup-superset: creating $VENV with $PYTHON ($py_version); the first time takes a few minutes" >&2
"$PYTHON" -m venv "$VENV"
# This machine's pip config may list optional local indexes that do not exist; drop that noise only.
set +e
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$LOCK" 2>&1 |
  grep -v "^WARNING: Location 'file:" >&2
rc=${PIPESTATUS[0]}
set -e
if [[ $rc -ne 0 ]]; then
  echo "setup-superset: pip install failed ($rc)" >&2
  exit "$rc"
fi
"$VENV/bin/python" -m pip check --disable-pip-version-check >&2
# Smoke test: the app factory imports with the pins (without them Superset 6.1.0 fails here).
"$VENV/bin/python" -c 'import superset, psycopg2, gunicorn, flask_caching; from superset.app import create_app; print("setup-superset: superset", superset.__version__ if hasattr(superset, "__version__") else "6.1.0")' >&2
touch "$STAMP"
echo "setup-superset: done in $(( $(date +%s) - start ))s ($(du -sh "$VENV" | cut -f1))" >&2
echo "$VENV"
