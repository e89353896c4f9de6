#!/bin/sh
# Builds the hello sample app into local images (no registry, no internet):
#   localhost/devopstools-hello:1, :2 (good) and :broken (its /healthz answers 503).
# Usage: build.sh <base image>   (the module's Debian 12 image, localhost/devopstools/debian12:<tag>)
# Idempotent and quick: an image whose source-hash label matches this directory is kept.
set -eu
base=${1:?usage: build.sh <base image>}
here=$(cd "$(dirname "$0")" && pwd)
repo=localhost/devopstools-hello
hash=$(cat "$here/Containerfile" "$here/server.py" | sha256sum | cut -c1-16)

podman image exists -- "$base" || { echo "base image $base is missing (New-Server or build.ps1 builds it)" >&2; exit 2; }

build() {
    tag=$1 version=$2 unhealthy=$3
    current=$(podman image inspect --format '{{ index .Labels "devopstools.source-hash" }}' -- "$repo:$tag" 2>/dev/null || true)
    if [ "$current" = "$hash" ]; then
        echo "$repo:$tag is up to date"
        return 0
    fi
    echo "building $repo:$tag"
    podman build --quiet --pull=never --network=none \
        --build-arg "BASE=$base" --build-arg "VERSION=$version" --build-arg "UNHEALTHY=$unhealthy" \
        --label "devopstools.source-hash=$hash" \
        --tag "$repo:$tag" --file "$here/Containerfile" -- "$here" >/dev/null
}

build 1 1 0
build 2 2 0
build broken broken 1
