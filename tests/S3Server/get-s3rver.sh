#!/usr/bin/env bash
# Installs s3rver (a small S3-compatible server for Node.js, npm package s3rver@3.7.1) into a
# cache folder and prints the path of its command on stdout. The backup tests start it on
# 127.0.0.1 to store backups through the real AWSSDK.S3. Only the first run downloads.
#
# usage: get-s3rver.sh [CACHE_DIR]   (default: <repo>/out/s3rver)
# exit 0 with the path on stdout; non-zero with the reason on stderr.
set -euo pipefail

version="3.7.1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${1:-$here/../../out/s3rver}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
bin="$cache/$version/node_modules/.bin/s3rver"

if [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1; then
    echo "$bin"
    exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "get-s3rver: npm is not installed" >&2; exit 3; }
command -v node >/dev/null 2>&1 || { echo "get-s3rver: node is not installed" >&2; exit 3; }

# Install into a fresh folder, then move it into place, so a concurrent run never sees half a tree.
work="$(mktemp -d "$cache/.install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
if ! npm install --prefix "$work" --no-audit --no-fund --no-save --loglevel=error "s3rver@$version" >"$work/npm.log" 2>&1; then
    echo "get-s3rver: npm install s3rver@$version failed:" >&2
    tail -n 20 "$work/npm.log" >&2
    exit 4
fi
rm -f "$work/npm.log"
[[ -x "$work/node_modules/.bin/s3rver" ]] || { echo "get-s3rver: the package has no s3rver command" >&2; exit 5; }
rm -rf "${cache:?}/$version"
mv "$work" "$cache/$version"
trap - EXIT
"$bin" --version >/dev/null 2>&1 || { echo "get-s3rver: $bin does not run" >&2; exit 6; }
echo "$bin"
