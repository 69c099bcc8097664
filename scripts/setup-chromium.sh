#!/usr/bin/env bash
# Installs the headless browser the dashboard tests drive (Debian's `chromium` package, driven by
# the playwright-core npm package; Playwright's own browser download is not used because its CDN
# is not a package registry). Idempotent: does nothing when /usr/bin/chromium exists.
#
# Needs root (or sudo) and the Debian archive; on other systems install Chromium yourself and set
# OLIST_CHROMIUM to its path.
set -euo pipefail

CHROMIUM="${OLIST_CHROMIUM:-/usr/bin/chromium}"
if [[ -x "$CHROMIUM" ]]; then
  echo "setup-chromium: $CHROMIUM is installed ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "setup-chromium: $CHROMIUM not found and no apt-get here; install Chromium and set OLIST_CHROMIUM" >&2
  exit 1
fi
SUDO=""
[[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
start=$(date +%s)
# One installer at a time (dpkg holds its own lock, but two scripts would both run apt-get update).
exec 9>"${TMPDIR:-/tmp}/olist-chromium-setup.lock"
flock 9
if [[ ! -x "$CHROMIUM" ]]; then
  echo "setup-chromium: installing Debian's chromium package"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
echo "setup-chromium: $("$CHROMIUM" --version) in $(( $(date +%s) - start ))s"
