#!/bin/sh
# DevOpsTools server image recipe (Podman provider): a Debian 12 system that looks like a
# cloud image. Run as root by the module:
#   build-image.sh <work dir> <Debian mirror> <Debian security mirror> <image ref>
# The image tag is a hash of this file, so any change here builds a new image.
set -eu
work=$1
mirror=$2
security=$3
image=$4
root="$work/rootfs"

echo "Stage: debootstrap bookworm from $mirror"
debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,dbus,openssh-server,sudo,python3,ca-certificates,iproute2,nftables,procps \
    bookworm "$root" "$mirror"

echo "Stage: sources and security updates from $security"
# Like Debian's cloud images: the release, its updates and its security suite, so that
# unattended-upgrades has a security source and the image starts without known-fixed holes.
cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
chroot "$root" /bin/sh -eu <<'EOF'
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o Dpkg::Options::=--force-confold upgrade
EOF

echo "Stage: configure"
cat > "$root/usr/local/sbin/devopstools-firstboot" <<'EOF'
#!/bin/sh
# First boot of one server: its own SSH host key, and the environment's key for the admin user
# (passed by the provider as DEVOPSTOOLS_AUTHORIZED_KEYS in the container's environment).
set -eu
if [ ! -s /etc/ssh/ssh_host_ed25519_key.pub ]; then
    rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub
    ssh-keygen -q -t ed25519 -N '' -C '' -f /etc/ssh/ssh_host_ed25519_key
fi
keys=$(tr '\0' '\n' < /proc/1/environ | sed -n 's/^DEVOPSTOOLS_AUTHORIZED_KEYS=//p')
if [ -n "$keys" ] && [ ! -s /home/admin/.ssh/authorized_keys ]; then
    install -d -m 0700 -o admin -g admin /home/admin/.ssh
    printf '%s\n' "$keys" > /home/admin/.ssh/authorized_keys.tmp
    chown admin:admin /home/admin/.ssh/authorized_keys.tmp
    chmod 0600 /home/admin/.ssh/authorized_keys.tmp
    mv /home/admin/.ssh/authorized_keys.tmp /home/admin/.ssh/authorized_keys
fi
EOF
chmod 0755 "$root/usr/local/sbin/devopstools-firstboot"

cat > "$root/etc/systemd/system/devopstools-firstboot.service" <<'EOF'
[Unit]
Description=DevOpsTools first boot (SSH host key, admin authorized key)
Before=ssh.service
After=local-fs.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/devopstools-firstboot

[Install]
WantedBy=multi-user.target
RequiredBy=ssh.service
EOF

cat > "$root/etc/ssh/sshd_config.d/10-devopstools.conf" <<'EOF'
# Cloud-image defaults: key-only login as the admin user, no root login.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF

chroot "$root" /bin/sh -eu <<'EOF'
useradd --create-home --shell /bin/bash --user-group --uid 1000 admin
usermod -p '*' admin
echo 'admin ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/90-admin
chmod 0440 /etc/sudoers.d/90-admin
rm -f /etc/ssh/ssh_host_*
systemctl enable devopstools-firstboot.service ssh.service
# No pam_systemd (libpam-systemd is not installed): SSH logins start no user@.service, so
# there is no per-login user manager to start, and none to hang at logout.
# Units that have nothing to do in a container.
systemctl mask systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service \
    sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount sys-fs-fuse-connections.mount \
    systemd-remount-fs.service getty.target console-getty.service apt-daily.timer apt-daily-upgrade.timer
# Every server gets its own machine id at boot.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log
EOF

echo "Stage: import $image"
tar --numeric-owner -C "$root" -c . | podman import \
    --change 'CMD ["/sbin/init"]' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    --change 'ENV container=podman' \
    -- - "$image"
echo "Stage: done"
