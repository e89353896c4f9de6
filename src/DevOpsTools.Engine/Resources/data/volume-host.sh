#!/bin/sh
# App volumes on a container-host server (Backup-AppData / Restore-AppData -Server); runs as root.
#   volume-host.sh <action> [volume] [label=value ...]
# The words arrive as `set --` data (SshVolumeHost quotes each); the volume name was checked
# against podman's own pattern before it got here and is checked again below.
#   version            podman's version
#   exists VOLUME      exit 0 when the volume exists, 1 when not
#   create VOLUME L... podman volume create with each label=value
#   users VOLUME       the names of the running containers that mount it, one a line
#   has-data VOLUME    "yes" when its directory holds anything, else "no"
#   clear VOLUME       removes everything in its directory (links as links, never followed)
#   export VOLUME      its tar archive on stdout (podman volume export)
#   import VOLUME      unpacks the tar archive read from stdin into it (podman volume import)
set -eu
export LC_ALL=C

action=${1:?action}
shift
if [ "$action" = version ]; then
  exec podman version --format '{{.Client.Version}}'
fi

volume=${1:?volume}
shift
case "$volume" in
  [!A-Za-z0-9]*|*[!A-Za-z0-9_.-]*) echo "not a volume name: $volume" >&2; exit 2 ;;
esac

# The volume's directory; one of another driver (no directory) is refused by name.
mount_point() {
  dir=$(podman volume inspect --format '{{.Mountpoint}}' -- "$volume") || exit 3
  case "$dir" in
    /?*) [ -d "$dir" ] && { printf '%s\n' "$dir"; return 0; } ;;
  esac
  echo "volume $volume has no directory on this host ('$dir'): only volumes of podman's local driver can be restored" >&2
  exit 3
}

case "$action" in
  exists) exec podman volume exists -- "$volume" ;;
  create)
    for label in "$@"; do
      case "$label" in *=*) ;; *) echo "not a label: $label" >&2; exit 2 ;; esac
    done
    # Each label=value pair becomes --label pair, in order.
    count=$#
    while [ "$count" -gt 0 ]; do
      set -- "$@" --label "$1"
      shift
      count=$((count - 1))
    done
    podman volume create "$@" -- "$volume" >/dev/null ;;
  users) exec podman ps --filter "volume=$volume" --format '{{.Names}}' ;;
  has-data)
    dir=$(mount_point)
    if [ -n "$(find "$dir" -mindepth 1 -maxdepth 1 -print 2>/dev/null | head -n 1)" ]; then echo yes; else echo no; fi ;;
  clear)
    dir=$(mount_point)
    # rm -rf removes a link itself, never what it points at; find does not follow links (-P).
    find "$dir" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} + ;;
  export) exec podman volume export -- "$volume" ;;
  import) exec podman volume import -- "$volume" - ;;
  *) echo "unknown action: $action" >&2; exit 2 ;;
esac
