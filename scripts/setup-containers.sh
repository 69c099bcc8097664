#!/usr/bin/env bash
# Installs what deploy/ and test/containers.test.ts need, on a Debian 12 machine with no Docker
# engine and no container registry in reach (ours):
#   1. Debian packages: podman, buildah, runc (crun fails here: "cgroups in hybrid mode not
#      supported"), debootstrap (the base image), docker-compose (only for `config -q`), and the
#      networking helpers podman needs.
#   2. The pinned Python tools of requirements/containers.txt (podman-compose, hadolint,
#      check-jsonschema) in a venv in the cache dir, keyed by a hash of the requirement files.
#   3. podman's configuration for this project: deploy/podman/{containers,storage}.conf rendered
#      into the cache dir, so images, layers and volumes live under OLIST_CACHE_DIR and nothing goes
#      to /var/lib/containers (a fresh clone reuses the same images: its warm run is fast).
#
# Idempotent and cheap when nothing changed. Prints, as its last line, nothing; source
# deploy/podman/env.sh afterwards to get the environment (CONTAINERS_CONF, PATH...).
#
# Usage: scripts/setup-containers.sh [--check]   (--check: exit 3 when something is missing, install nothing)
# Env:   OLIST_CACHE_DIR (default $HOME/.cache/olist-warehouse), PYTHON (default python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../deploy/podman/env.sh
source "$ROOT/deploy/podman/env.sh"
PYTHON="${PYTHON:-python3}"
CHECK=0
[[ "${1:-}" == "--check" ]] && CHECK=1

DEBIAN_PACKAGES=(podman buildah runc conmon catatonit debootstrap docker-compose
  netavark aardvark-dns iptables slirp4netns uidmap fuse-overlayfs golang-github-containers-common)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $CHECK -eq 1 ]]; then echo "setup-containers: missing Debian packages: ${missing[*]}" >&2; exit 3; fi
  if ! command -v apt-get >/dev/null; then
    echo "setup-containers: needs apt-get (Debian/Ubuntu) to install ${missing[*]}" >&2; exit 3
  fi
  SUDO=(); [[ $(id -u) -ne 0 ]] && SUDO=(sudo)
  echo "setup-containers: apt-get install ${missing[*]}"
  # Other jobs on the machine may hold the dpkg lock for a while: wait for it instead of failing.
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

# The pinned Python tools, in a venv keyed by the requirement files and the interpreter.
want="$( { "$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; cat "$ROOT/requirements/containers.txt" "$ROOT/requirements/containers-lock.txt"; } | sha256sum | cut -c1-16)"
TOOLS="$OLIST_CONTAINER_CACHE/tools-$want"
if [[ ! -x "$TOOLS/bin/podman-compose" || ! -f "$TOOLS/.complete" ]]; then
  if [[ $CHECK -eq 1 ]]; then echo "setup-containers: container tools not installed" >&2; exit 3; fi
  mkdir -p "$OLIST_CONTAINER_CACHE"
  exec 9>"$OLIST_CONTAINER_CACHE/.tools.lock"
  flock 9
  if [[ ! -f "$TOOLS/.complete" ]]; then
    rm -rf "$TOOLS"
    "$PYTHON" -m venv "$TOOLS"
    # This machine's pip config lists optional local indexes that may not exist; drop that noise only.
    "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check \
      -r "$ROOT/requirements/containers.txt" -c "$ROOT/requirements/containers-lock.txt" 2>&1 | grep -v "^WARNING: Location 'file:" || true
    "$TOOLS/bin/hadolint" --version >/dev/null
    "$TOOLS/bin/check-jsonschema" --version >/dev/null
    touch "$TOOLS/.complete"
  fi
  flock -u 9
fi
ln -sfn "$TOOLS" "$OLIST_CONTAINER_CACHE/tools"

# podman's configuration, rendered with this machine's cache paths.
mkdir -p "$OLIST_PODMAN_STATE"/{storage,run,tmp,networks} 
for f in containers.conf storage.conf; do
  sed -e "s|@STATE@|$OLIST_PODMAN_STATE|g" "$ROOT/deploy/podman/$f" > "$OLIST_PODMAN_STATE/$f.new"
  mv "$OLIST_PODMAN_STATE/$f.new" "$OLIST_PODMAN_STATE/$f"
done
podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' >/dev/null
