#!/bin/sh
# Builds the notes sample app into local images (no registry, no internet):
#   localhost/devopstools-notes:1 (schema 1), :2 (schema 2: adds notes.created_at) and :broken
#   (schema 3: a migration that deletes the notes and then fails).
# Usage: build.sh <base image>   (the module's PostgreSQL image, DataService.Image of Deploy-DataService)
# Idempotent and quick: an image whose source-hash label matches this directory is kept. No build
# cache (--no-cache): buildah would otherwise reuse the layers of one version for the next.
set -eu
base=${1:?usage: build.sh <base image>}
here=$(cd "$(dirname "$0")" && pwd)
repo=localhost/devopstools-notes
hash=$(printf '%s\n' "$base" | cat - "$here/Containerfile" "$here/build.sh" "$here"/*.py "$here"/migrations/*.sql | sha256sum | cut -c1-16)

podman image exists -- "$base" || { echo "base image $base is missing (Deploy-DataService builds it)" >&2; exit 2; }

build() {
    tag=$1 version=$2 schema=$3
    current=$(podman image inspect --format '{{ index .Labels "devopstools.source-hash" }}' -- "$repo:$tag" 2>/dev/null || true)
    if [ "$current" = "$hash" ]; then
        echo "$repo:$tag is up to date"
        return 0
    fi
    echo "building $repo:$tag"
    podman build --quiet --pull=never --network=none --no-cache \
        --build-arg "BASE=$base" --build-arg "VERSION=$version" --build-arg "SCHEMA=$schema" \
        --label "devopstools.source-hash=$hash" \
        --tag "$repo:$tag" --file "$here/Containerfile" -- "$here" >/dev/null
}

build 1 1 1
build 2 2 2
build broken broken 3
