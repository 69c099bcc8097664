#!/bin/bash
# The official Airflow image's entrypoint convention, reduced: `IMAGE <airflow subcommand> ...`
# runs `airflow <subcommand> ...`; `bash`, `python` and `airflow` run as given.
set -euo pipefail
if [[ $# -eq 0 ]]; then exec bash; fi
case "$1" in
  bash|python|python3|airflow) exec "$@" ;;
  *) exec airflow "$@" ;;
esac
