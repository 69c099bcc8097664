# Source this (bash) to use the project's podman: configuration rendered by
# scripts/setup-containers.sh, images and volumes in the cache dir outside the checkout.
#   source deploy/podman/env.sh && podman images
# Nothing here installs anything; it only sets variables.
OLIST_CACHE_DIR="${OLIST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/olist-warehouse}"
OLIST_CONTAINER_CACHE="$OLIST_CACHE_DIR/containers"
OLIST_PODMAN_STATE="$OLIST_CONTAINER_CACHE/podman"
export OLIST_CACHE_DIR OLIST_CONTAINER_CACHE OLIST_PODMAN_STATE
export CONTAINERS_CONF="$OLIST_PODMAN_STATE/containers.conf"
export CONTAINERS_STORAGE_CONF="$OLIST_PODMAN_STATE/storage.conf"
# podman-compose, hadolint and check-jsonschema (pinned, requirements/containers.txt).
case ":$PATH:" in *":$OLIST_CONTAINER_CACHE/tools/bin:"*) ;; *) export PATH="$OLIST_CONTAINER_CACHE/tools/bin:$PATH" ;; esac
