#!/bin/sh
# Builds the small Debian 12 image the endpoint's podman backing runs as instances:
# systemd as init, openssh-server, sudo. Needs root, debootstrap and podman (with a working
# containers.conf in CONTAINERS_CONF where the default runtime does not work).
#   usage: build-test-image.sh [IMAGE] [ROOTFS_DIR] [MIRROR]
set -eu
image=${1:-localhost/ec2-test:latest}
rootfs=${2:-/tmp/ec2-rootfs}
mirror=${3:-http://deb.debian.org/debian}

if [ ! -x "$rootfs/sbin/init" ]; then
    debootstrap --variant=minbase \
        --include=openssh-server,sudo,systemd,systemd-sysv,dbus,python3,iproute2 \
        bookworm "$rootfs" "$mirror"
fi
tar -C "$rootfs" -c . | podman import \
    --change 'CMD ["/sbin/init"]' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    -- - "$image"
echo "built $image"
