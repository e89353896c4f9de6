#!/bin/sh
# Places an uploaded file (devopstools SSH layer): runs as root through sudo, every value is an
# argument, never code. $1 staging directory (made by mktemp -d as the login user), $2 staged
# file inside it, $3 destination (absolute), $4 octal mode, $5 owner, $6 group, $7 expected
# SHA-256 (hex). Prints "<sha256> <size>" of the placed file.
set -eu
staging_dir=$1 staged=$2 dest=$3 mode=$4 owner=$5 group=$6 expected=$7

cleanup() { rm -rf -- "$staging_dir"; }
trap cleanup EXIT

case "$staging_dir" in /tmp/devopstools-upload.*) ;; *) echo "staging directory outside /tmp: $staging_dir" >&2; exit 2 ;; esac
case "$staged" in "$staging_dir"/*) ;; *) echo "staged file outside the staging directory" >&2; exit 2 ;; esac

actual=$(sha256sum -- "$staged" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  echo "the staged file's SHA-256 is $actual, expected $expected" >&2
  exit 3
fi

parent=$(dirname -- "$dest")
if [ ! -d "$parent" ]; then
  echo "the directory $parent does not exist" >&2
  exit 4
fi

# Install beside the destination, then rename: readers never see a half-written file.
tmp=$(mktemp -- "$parent/.devopstools-upload.XXXXXX")
if ! install -m "$mode" -o "$owner" -g "$group" -T -- "$staged" "$tmp"; then
  rm -f -- "$tmp"
  exit 5
fi
mv -f -T -- "$tmp" "$dest"

placed=$(sha256sum -- "$dest" | cut -d' ' -f1)
size=$(stat -c %s -- "$dest")
printf '%s %s\n' "$placed" "$size"
