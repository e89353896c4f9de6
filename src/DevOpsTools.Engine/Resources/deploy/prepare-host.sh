#!/bin/sh
# Container hosts (devopstools ContainerHostPreparer, ContainerImageTransfer); runs as root.
# Environment (data, never code; validated by the caller):
#   CH_ACTION   prepare | image-id | image-load
#   CH_PACKAGES (prepare) the Debian packages the host needs, space separated
#   CH_IMAGE    (image-id, image-load) an image reference
#   CH_ARCHIVE  (image-load) the uploaded, gzip-compressed `podman save` archive, removed after loading
#   CH_IMAGES   (prepare, optional) image references whose ids to report once prepared, space
#               separated: "image <reference> <id>" lines (empty id when the server lacks one),
#               so a deploy learns them in the same round trip
# prepare is idempotent: a second run changes nothing and prints "result unchanged".
# Protocol on stdout: "changed <what>" lines, then "result changed|unchanged"; image-id and
# image-load print "id <image id>" (empty when the server does not have the image).
# Exit 10: the server cannot run containers (no /dev/fuse or no CAP_SYS_ADMIN); the message
# on stderr says what is missing.
set -eu
export LC_ALL=C

image_id() { podman image inspect --format '{{.Id}}' -- "$CH_IMAGE" 2>/dev/null || true; }

case "$CH_ACTION" in
  prepare) ;;
  image-id)
    if command -v podman >/dev/null 2>&1; then echo "id $(image_id)"; else echo "id "; fi
    exit 0 ;;
  image-load)
    case "$CH_ARCHIVE" in /var/tmp/devopstools-image-*.tar.gz) ;; *) echo "archive outside /var/tmp/devopstools-image-*: $CH_ARCHIVE" >&2; exit 2 ;; esac
    tar=${CH_ARCHIVE%.gz}
    trap 'rm -f -- "$CH_ARCHIVE" "$tar"' EXIT
    # podman 4.3 does not decompress archives itself.
    gzip -dc -- "$CH_ARCHIVE" >"$tar"
    rm -f -- "$CH_ARCHIVE"
    if ! out=$(podman load --quiet --input "$tar" 2>&1); then echo "podman load failed: $out" >&2; exit 1; fi
    echo "id $(image_id)"
    exit 0 ;;
  *) echo "unknown CH_ACTION: $CH_ACTION" >&2; exit 2 ;;
esac

changed=""
note() { changed="$changed $1"; echo "changed $1"; }

# A server in a container (Podman server) needs SYS_ADMIN and /dev/fuse from its outer podman.
nested=0
if [ -e /run/.containerenv ]; then nested=1; fi

missing=""
if [ ! -c /dev/fuse ]; then missing="$missing /dev/fuse"; fi
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
# CAP_SYS_ADMIN is bit 21.
if [ -z "$capeff" ] || [ $(( (0x$capeff >> 21) & 1 )) -ne 1 ]; then missing="$missing CAP_SYS_ADMIN"; fi
if [ -n "$missing" ]; then
  echo "missing:$missing" >&2
  exit 10
fi

# 1. Packages, in one apt transaction, only when some are missing.
# One dpkg-query for all of them: this check runs before every deploy.
installed=" "
# shellcheck disable=SC2086 # word splitting of the validated package list is intended
while read -r name status; do
  case "$status" in ii*) installed="$installed$name " ;; esac
done <<PKGS
$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $CH_PACKAGES 2>/dev/null || true)
PKGS
need=""
for p in $CH_PACKAGES; do
  case "$installed" in *" $p "*) ;; *) need="$need $p" ;; esac
done
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086 # word splitting of the validated package list is intended
  if ! apt-get -q -o Dpkg::Use-Pty=0 install -y $need >/tmp/devopstools-apt.log 2>&1; then
    apt-get -q -o Dpkg::Use-Pty=0 update >/tmp/devopstools-apt.log 2>&1 || { tail -n 20 /tmp/devopstools-apt.log >&2; exit 1; }
    # shellcheck disable=SC2086
    apt-get -q -o Dpkg::Use-Pty=0 install -y $need >/tmp/devopstools-apt.log 2>&1 || { tail -n 20 /tmp/devopstools-apt.log >&2; exit 1; }
  fi
  rm -f /tmp/devopstools-apt.log
  note "packages:$need"
fi

# put FILE MODE: stdin becomes FILE when it differs (atomic rename).
put() {
  t=$(mktemp "$1.devopstools.XXXXXX")
  cat >"$t"
  if cmp -s "$t" "$1"; then rm -f "$t"; return 1; fi
  chmod "$2" "$t"
  mv -f "$t" "$1"
}

mkdir -p /etc/containers
if [ "$nested" -eq 1 ]; then
  # 2. Inner podman in a container: the recipe measured in PODMAN.md.
  if put /etc/containers/containers.conf 644 <<'EOF'
# Written by devopstools (container host inside a Podman server). Inner containers have no
# cgroups, hence no memory/CPU limits; they use host networking (publishing needs /proc/sys).
[containers]
cgroups = "disabled"
default_sysctls = []

[engine]
runtime = "crun"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  then note /etc/containers/containers.conf; fi
  if put /etc/containers/storage.conf 644 <<'EOF'
# Written by devopstools: native overlay does not work nested; fuse-overlayfs does.
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"

[storage.options.overlay]
mount_program = "/usr/bin/fuse-overlayfs"
EOF
  then note /etc/containers/storage.conf; fi

  # 3. /dev/fuse for everyone (no udev in the server), now and at every boot.
  if put /etc/systemd/system/devopstools-fuse.service 644 <<'EOF'
[Unit]
Description=DevOpsTools: /dev/fuse usable by fuse-overlayfs (no udev in this server)
DefaultDependencies=no
After=local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/chmod 0666 /dev/fuse

[Install]
WantedBy=multi-user.target
EOF
  then
    systemctl daemon-reload
    note devopstools-fuse.service
  fi
  if ! systemctl is-enabled devopstools-fuse.service >/dev/null 2>&1; then
    systemctl enable devopstools-fuse.service >/dev/null 2>&1
    note "enable devopstools-fuse.service"
  fi
  if [ "$(stat -c %a /dev/fuse)" != 666 ]; then
    chmod 0666 /dev/fuse
    note "chmod 0666 /dev/fuse"
  fi
fi

# 4. The ids of the images the caller asked about: one podman call for all when it has them all.
if [ -n "${CH_IMAGES:-}" ]; then
  # shellcheck disable=SC2086 # word splitting of the validated image list is intended
  set -- $CH_IMAGES
  ids=$(podman image inspect --format '{{.Id}}' -- "$@" 2>/dev/null || true)
  if [ "$(printf '%s\n' "$ids" | grep -c .)" -eq "$#" ]; then
    # podman answers in the order asked: line N is the id of reference N.
    printf '%s\n' "$ids" | awk -v refs="$*" 'BEGIN { split(refs, ref, " ") } { print "image", ref[NR], $0 }'
  else
    for reference in "$@"; do
      CH_IMAGE=$reference
      echo "image $reference $(image_id)"
    done
  fi
fi

if [ -n "$changed" ]; then
  # Proves the runtime answers with this configuration (only after a change: keeps reruns fast).
  if ! out=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' 2>&1); then
    echo "podman info failed after preparing: $out" >&2
    exit 1
  fi
  echo "podman $out"
  echo "result changed"
else
  echo "result unchanged"
fi
