#!/bin/sh
# The deploy floor (bench/deploy.ps1): one zero-downtime update on a container host done by hand,
# without DevOpsTools: start the new instance on the other port, poll its health check every
# FLOOR_START_INTERVAL seconds during FLOOR_START_PERIOD, then every FLOOR_INTERVAL (the sample
# app's health check schedule, as Deploy-App follows it), point HAProxy at it (master-worker reload), drain FLOOR_DRAIN seconds,
# stop the old one. On a host with systemd (a server) each instance runs under its own unit, as
# the issue asks of the platform and Deploy-App does (podman run --rm under Type=notify, started
# with systemctl enable --now, stopped with systemctl disable --now); elsewhere podman's restart
# policy. The same platform work as Deploy-App's rollout, minus everything the module adds
# (state, labels, checks of the configuration, image checks, SSH round trips).
#   floor.sh update <image> <n>   (n = 1, 2, ...: instance floor-<n>)
#   floor.sh clean
# Environment: FLOOR_DIR (state and haproxy.cfg), FLOOR_PORT (public port), FLOOR_BIND
# (127.0.0.1), FLOOR_PROXY_IMAGE, FLOOR_INTERVAL (1), FLOOR_START_INTERVAL (0.2),
# FLOOR_START_PERIOD (2), FLOOR_DRAIN (2). Runs as root.
set -eu
cmd=${1:?update or clean}
dir=${FLOOR_DIR:?}
public=${FLOOR_PORT:?}
bind=${FLOOR_BIND:-127.0.0.1}
proxy_image=${FLOOR_PROXY_IMAGE:-localhost/devopstools/haproxy:1}
interval=${FLOOR_INTERVAL:-1}
start_interval=${FLOOR_START_INTERVAL:-0.2}
start_period=${FLOOR_START_PERIOD:-2}
drain=${FLOOR_DRAIN:-2}
mkdir -p -- "$dir"

status() { # url: the HTTP status code, 000 when there is no answer
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null -w '%{http_code}' --max-time 1 -- "$1" || true
    else
        python3 -c 'import sys, urllib.request
try: print(urllib.request.urlopen(sys.argv[1], timeout=1).status)
except Exception: print("000")' "$1"
    fi
}

systemd=0
[ -d /run/systemd/system ] && systemd=1
cgroups=no-conmon
grep -q '^cgroups *= *"disabled"' /etc/containers/containers.conf 2>/dev/null && cgroups=disabled

run_instance() { # name port image
    if [ "$systemd" = 1 ]; then
        printf '[Service]\nRestart=always\nExecStartPre=/bin/rm -f %%t/%%n.ctr-id\nExecStart=/usr/bin/podman run --cidfile=%%t/%%n.ctr-id --cgroups=%s --rm --sdnotify=conmon -d --replace --name %s --network=host --env PORT=%s -- %s\nExecStop=/usr/bin/podman stop --ignore -t 10 --cidfile=%%t/%%n.ctr-id\nType=notify\nNotifyAccess=all\n[Install]\nWantedBy=default.target\n' \
            "$cgroups" "$1" "$2" "$3" > "/etc/systemd/system/$1.service"
        systemctl enable --no-reload --now "$1.service" >/dev/null 2>&1
    else
        podman run -d --restart=always --network=host --name "$1" --env "PORT=$2" -- "$3" >/dev/null
    fi
}

stop_instance() { # name
    if [ "$systemd" = 1 ] && [ -f "/etc/systemd/system/$1.service" ]; then
        systemctl disable --no-reload --now "$1.service" >/dev/null 2>&1
        rm -f -- "/etc/systemd/system/$1.service"
    else
        podman stop -t 10 -- "$1" >/dev/null
        podman rm -f -- "$1" >/dev/null
    fi
}

case $cmd in
    update)
        image=${2:?image} n=${3:?n}
        port=$((public + 1 + n % 2))
        old=$(cat -- "$dir/current" 2>/dev/null || true)
        run_instance "floor-$n" "$port" "$image"
        began=$(date +%s)
        until [ "$(status "http://127.0.0.1:$port/healthz")" = 200 ]; do
            if [ $(($(date +%s) - began)) -lt "$start_period" ]; then sleep "$start_interval"; else sleep "$interval"; fi
        done
        printf 'global\n    hard-stop-after 30s\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\nfrontend app\n    bind %s:%s\n    default_backend app\nbackend app\n    server app 127.0.0.1:%s check inter 2s\n' \
            "$bind" "$public" "$port" > "$dir/haproxy.cfg"
        if [ "$(podman inspect --format '{{.State.Status}}' floor-proxy 2>/dev/null || true)" = running ]; then
            podman kill --signal USR2 floor-proxy >/dev/null
        else
            podman run -d --restart=always --network=host --name floor-proxy -v "$dir:/etc/floor:ro" -- "$proxy_image" \
                haproxy -W -db -f /etc/floor/haproxy.cfg >/dev/null
            until [ "$(status "http://$bind:$public/healthz")" = 200 ]; do sleep 0.2; done
        fi
        echo "floor-$n" > "$dir/current"
        if [ -n "$old" ]; then
            sleep "$drain"
            stop_instance "$old"
        fi ;;
    clean)
        for name in $(podman ps -a --format '{{.Names}}' | grep '^floor-' || true); do stop_instance "$name"; podman rm -f --ignore -- "$name" >/dev/null; done
        if [ "$systemd" = 1 ]; then rm -f /etc/systemd/system/floor-*.service; fi
        rm -f -- "$dir/current" "$dir/haproxy.cfg"
        rmdir -- "$dir" 2>/dev/null || true ;;
    *) echo "unknown command $cmd" >&2; exit 64 ;;
esac
