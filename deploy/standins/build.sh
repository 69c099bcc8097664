#!/usr/bin/env bash
# Builds local STAND-INS for the official base images deploy/ uses, for machines where no container
# registry is reachable (ours), and tags them with the official names, so deploy/Dockerfile and
# deploy/compose.yaml build and run unchanged:
#   localhost/olist-standin/debian:bookworm   debootstrap --variant=minbase bookworm + podman import
#   docker.io/library/node:<NODE_TAG>         that + this machine's Node.js binary and npm
#   docker.io/library/postgres:<PG_TAG>       that + Debian's postgresql-15, official entrypoint contract
#   docker.io/apache/airflow:<AIRFLOW_TAG>    that + Debian's Python + Airflow from PyPI (our lock)
#                                             (only with --airflow: about 2 more minutes cold)
# Each image carries a label with a hash of what it was built from and is rebuilt only when that
# changes; images live in podman's storage under OLIST_CACHE_DIR (deploy/podman/env.sh), so a warm
# run, from any clone, takes a second. Cold: about 2 min for the base, 1 min for the others.
#
# Where a registry is reachable, do not run this: `podman pull` / `docker pull` the official images.
# Usage: deploy/standins/build.sh [--airflow]   (needs scripts/setup-containers.sh first; root)
set -euo pipefail
WITH_AIRFLOW=0
[[ "${1:-}" == "--airflow" ]] && WITH_AIRFLOW=1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$ROOT/deploy/podman/env.sh"

# The official tags deploy/ pins, read from the files that pin them (one place each).
NODE_TAG="$(sed -n 's|^ARG NODE_IMAGE=docker.io/library/node:||p' "$ROOT/deploy/Dockerfile")"
POSTGRES_TAG="$(sed -n 's|^ *image: docker.io/library/postgres:||p' "$ROOT/deploy/compose.yaml" | head -1)"
AIRFLOW_TAG="$(sed -n 's|^ARG AIRFLOW_IMAGE=docker.io/apache/airflow:||p' "$ROOT/deploy/airflow/Dockerfile")"
[[ -n "$NODE_TAG" && -n "$POSTGRES_TAG" && -n "$AIRFLOW_TAG" ]] || { echo "standins: cannot read the pinned tags from deploy/" >&2; exit 1; }
BASE_IMAGE=localhost/olist-standin/debian:bookworm
MIRROR="${OLIST_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
LABEL=org.olist.standin-key

log() { echo "standins: $*" >&2; }
key_of() { podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$1" 2>/dev/null || true; }

# 1. The base: a minimal Debian root filesystem imported as an image.
base_key="$( { echo "debootstrap --variant=minbase bookworm $MIRROR"; } | sha256sum | cut -c1-16)"
if [[ "$(key_of "$BASE_IMAGE")" != "$base_key" ]]; then
  start=$(date +%s)
  work="$OLIST_CONTAINER_CACHE/debootstrap.$$"
  rm -rf "$work"; mkdir -p "$work"
  trap 'rm -rf "$work"' EXIT
  log "debootstrap --variant=minbase bookworm (about 2 minutes)"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$MIRROR" > "$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # Slim like the official -slim images: no apt lists, docs or man pages in the base layer.
  rm -rf "$work/rootfs"/var/lib/apt/lists/* "$work/rootfs"/var/cache/apt/*.bin \
    "$work/rootfs"/usr/share/doc/* "$work/rootfs"/usr/share/man/*
  tar -C "$work/rootfs" --numeric-owner -c . | podman import \
    --change "LABEL $LABEL=$base_key" --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$work"; trap - EXIT
  log "base image $BASE_IMAGE in $(( $(date +%s) - start )) s"
fi
base_id="$(podman image inspect --format '{{.Id}}' "$BASE_IMAGE")"

# 2. Node: this machine's Node.js binary (the same major the project's package.json requires).
NODE_BIN="$(readlink -f "$(command -v node)")"
NPM_DIR="$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")"
node_version="$("$NODE_BIN" --version)"
if [[ "$node_version" != "v${NODE_TAG%%-*}" ]]; then
  log "warning: this machine's node is $node_version, the stand-in is tagged node:$NODE_TAG"
fi
node_key="$( { echo "$base_id"; sha256sum "$NODE_BIN" "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"; cat "$NPM_DIR/package.json"; cat "$HERE/node.Dockerfile"; } | sha256sum | cut -c1-16)"
if [[ "$(key_of "docker.io/library/node:$NODE_TAG")" != "$node_key" ]]; then
  start=$(date +%s)
  ctx="$(mktemp -d)"
  cp "$NODE_BIN" "$ctx/node"
  cp -a "$NPM_DIR" "$ctx/npm"
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/ca-certificates.crt"
  podman build -q --build-arg "BASE=$BASE_IMAGE" --label "$LABEL=$node_key" \
    -f "$HERE/node.Dockerfile" -t "docker.io/library/node:$NODE_TAG" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "node:$NODE_TAG stand-in ($node_version) in $(( $(date +%s) - start )) s"
fi

# 3. PostgreSQL: Debian's packages behind the official entrypoint's interface.
pg_key="$( { echo "$base_id"; cat "$HERE/postgres.Dockerfile" "$HERE/postgres-entrypoint.sh"; } | sha256sum | cut -c1-16)"
if [[ "$(key_of "docker.io/library/postgres:$POSTGRES_TAG")" != "$pg_key" ]]; then
  start=$(date +%s)
  podman build -q --build-arg "BASE=$BASE_IMAGE" --label "$LABEL=$pg_key" \
    -f "$HERE/postgres.Dockerfile" -t "docker.io/library/postgres:$POSTGRES_TAG" "$HERE" >/dev/null
  log "postgres:$POSTGRES_TAG stand-in (Debian postgresql-15) in $(( $(date +%s) - start )) s"
fi

# 4. Airflow (optional): Python and Airflow from PyPI under the project's own lock.
if [[ $WITH_AIRFLOW -eq 1 ]]; then
  CA="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
  af_key="$( { echo "$base_id"; cat "$HERE/airflow.Dockerfile" "$HERE/airflow-entrypoint.sh" "$ROOT/requirements/airflow.txt" "$ROOT/requirements/constraints.txt" "$CA"; } | sha256sum | cut -c1-16)"
  if [[ "$(key_of "docker.io/apache/airflow:$AIRFLOW_TAG")" != "$af_key" ]]; then
    start=$(date +%s)
    ctx="$(mktemp -d)"
    cp "$HERE/airflow-entrypoint.sh" "$ROOT/requirements/airflow.txt" "$ROOT/requirements/constraints.txt" "$ctx/"
    cp "$CA" "$ctx/ca-certificates.crt"
    podman build -q --build-arg "BASE=$BASE_IMAGE" --label "$LABEL=$af_key" \
      -f "$HERE/airflow.Dockerfile" -t "docker.io/apache/airflow:$AIRFLOW_TAG" "$ctx" >/dev/null
    rm -rf "$ctx"
    log "apache/airflow:$AIRFLOW_TAG stand-in (Debian Python + Airflow from PyPI) in $(( $(date +%s) - start )) s"
  fi
fi
