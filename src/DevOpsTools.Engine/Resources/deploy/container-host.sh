#!/bin/sh
# DevOpsTools container-host deploy steps, run as root on the host (this machine or a server).
#   container-host.sh <command> [arguments]
# Environment (validated by the engine, passed as data): DEPLOY_DIR (the app's state directory),
# APP, ENV_NAME, SUPERVISOR (restart: podman --restart=always; systemd: a unit per container),
# UNIT_TEXT (start, proxy with systemd: the unit), SECRETS_ENV (secrets, secrets-changed:
# NAME=value lines). Commands print
# machine-readable lines on stdout and reasons on stderr.
set -eu
cmd=${1:?command}
shift
# apps: the apps with a state file under DEPLOY_DIR, here the environment's directory (the
# recorded deployments Get-ServiceStats -Environment reads back one by one). APP is not needed.
if [ "$cmd" = apps ]; then
    : "${DEPLOY_DIR:?}"
    for state in "$DEPLOY_DIR"/*/state.json; do
        [ -f "$state" ] || continue
        dir=${state%/state.json}
        echo "${dir##*/}"
    done
    exit 0
fi
: "${DEPLOY_DIR:?}" "${APP:?}" "${ENV_NAME:?}"
SUPERVISOR=${SUPERVISOR:-restart}
unit_dir=/etc/systemd/system
# Secret values stay in this shell: no child process (podman, awk) inherits them, and they reach
# files and pipes through printf, a builtin, never through a command line.
secrets_env=${SECRETS_ENV-}
unset SECRETS_ENV
secrets_dir=$DEPLOY_DIR/secrets

# An env file's id: r<revision>, migrate, or - (none).
secrets_id() {
    case $1 in
        -|migrate) return 0 ;;
        r*) case ${1#r} in ''|*[!0-9]*) ;; *) return 0 ;; esac ;;
    esac
    echo "not a secrets file id: $1" >&2
    return 1
}

# secrets <id> <from id|->: the env file (0600) of a revision (r3) or of the migration (migrate),
# from SECRETS_ENV or a copy of an earlier revision's (Undo starts it with the values it ran with).
secrets() {
    secrets_id "$1" && secrets_id "$2" || return 64
    file=$secrets_dir/$1.env
    mkdir -p -- "$secrets_dir" && chmod 0700 -- "$DEPLOY_DIR" "$secrets_dir"
    umask 077
    if [ "$2" != - ]; then
        [ -f "$secrets_dir/$2.env" ] || { echo "the secrets of $2 are no longer on this host ($secrets_dir/$2.env)" >&2; return 8; }
        cp -- "$secrets_dir/$2.env" "$file.tmp"
    else
        printf '%s\n' "$secrets_env" > "$file.tmp"
    fi
    chmod 0600 -- "$file.tmp"
    mv -- "$file.tmp" "$file"
}

# secrets-changed <id>: the names whose SECRETS_ENV line differs from that revision's file.
secrets_changed() {
    secrets_id "$1" || return 64
    printf '%s\n' "$secrets_env" | awk -v old="$secrets_dir/$1.env" '
        BEGIN { while ((getline line < old) > 0) seen[line] = 1 }
        !($0 in seen) { sub(/=.*/, ""); print }'
}

unit_of() { echo "devopstools-$1.service"; }

# Starts a container: name, then podman run arguments (already validated). With systemd, UNIT_TEXT
# is its unit (SystemdUnit.cs: the shape podman generate systemd --new gives, from the same
# arguments), written as data. --replace takes the name over from a container a crashed deploy
# may have left behind.
start() {
    name=$1
    shift
    if [ "$SUPERVISOR" = systemd ]; then
        : "${UNIT_TEXT:?the systemd unit of the container}"
        unit=$(unit_of "$name")
        # Inside a Podman server (a container host whose podman runs with cgroups disabled,
        # prepare-host.sh) crun cannot create any cgroup, not even conmon's.
        if grep -q '^cgroups *= *"disabled"' /etc/containers/containers.conf 2>/dev/null; then
            printf '%s' "$UNIT_TEXT" | sed '/^ExecStart=/s/ --cgroups=no-conmon / --cgroups=disabled /' > "$unit_dir/$unit.tmp"
        else
            printf '%s' "$UNIT_TEXT" > "$unit_dir/$unit.tmp"
        fi
        mv -- "$unit_dir/$unit.tmp" "$unit_dir/$unit"
        # systemd reads a unit file it has not loaded when the unit is first named, so a new
        # revision's unit needs no daemon-reload (0.1-0.4 s on a server); one it still holds
        # from before (a name used again after remove) does, and says so.
        if [ "$(systemctl show --property=NeedDaemonReload --value -- "$unit")" = yes ]; then
            systemctl daemon-reload
        fi
        systemctl enable --no-reload --now -- "$unit" >/dev/null 2>&1
    else
        podman run -d --replace --restart=always --name "$name" "$@" >/dev/null
    fi
}

# migrate <name> <podman run arguments...>: the migration, once, in the foreground, its output on
# stdout; its env file is removed whatever the outcome.
migrate() {
    name=$1
    shift
    rc=0
    podman run --rm --replace --name "$name" "$@" 2>&1 || rc=$?
    rm -f -- "$secrets_dir/migrate.env"
    return "$rc"
}

stopped_units=0
# stop <names...>: every container at once (SIGTERM, up to 10 s to finish, then removed).
stop() {
    units="" plain=""
    for name in "$@"; do
        if [ "$SUPERVISOR" = systemd ] && [ -f "$unit_dir/$(unit_of "$name")" ]; then
            units="$units $(unit_of "$name")"
        else
            plain="$plain $name"
        fi
    done
    # shellcheck disable=SC2086 # names are podman's container names and unit names, one word each
    [ -z "$plain" ] || podman rm -f -t 10 --ignore -- $plain >/dev/null
    [ -n "$units" ] || return 0
    # One systemctl call stops the units together: each ExecStop stops its container and --rm
    # removes it; podman only when that failed. systemd forgets a removed unit file when it
    # collects the stopped unit (and at remove's daemon-reload).
    # shellcheck disable=SC2086
    if ! systemctl disable --no-reload --now -- $units >/dev/null 2>&1; then
        # shellcheck disable=SC2086
        podman rm -f -t 10 --ignore -- "$@" >/dev/null
    fi
    for unit in $units; do rm -f -- "$unit_dir/$unit"; done
    stopped_units=1
}

# One HTTP GET on the host's loopback: prints "<status> <first line of the body>".
probe() {
    if command -v curl >/dev/null 2>&1; then
        body=$(mktemp)
        code=$(curl -s -o "$body" -w '%{http_code}' --max-time "$2" -- "$1" || true)
        printf '%s %s\n' "${code:-000}" "$(head -c 200 "$body" | head -n 1)"
        rm -f -- "$body"
    else
        python3 - "$1" "$2" <<'PY'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2]))
    print(r.status, r.read(200).decode("utf-8", "replace").split("\n")[0])
except urllib.error.HTTPError as e:
    print(e.code, e.read(200).decode("utf-8", "replace").split("\n")[0])
except Exception as e:
    print("000", str(e).split("\n")[0])
PY
    fi
}

# wait-health name url start-period interval timeout threshold deadline-seconds start-interval
# Checks every start-interval seconds (a decimal: 0.25) during the start period, where failures
# do not count, then every interval.
wait_health() {
    name=$1 url=$2 start_period=$3 interval=$4 timeout=$5 threshold=$6 deadline=$7 start_interval=${8:-$4}
    unanswered=0
    began=$(date +%s)
    failures=0
    while :; do
        now=$(date +%s)
        answer=$(probe "$url" "$timeout")
        case $answer in
            2[0-9][0-9]*) echo "healthy $answer"; return 0 ;;
        esac
        # An unanswered check asks podman whether the container is still there (a podman call
        # costs more than the check, and an app is seldom listening at the very first check):
        # during the start period every fifth time, then every time. One that exited fails the
        # rollout at once.
        unanswered=$((unanswered + 1))
        if [ $((now - began)) -ge "$start_period" ] || [ $((unanswered % 5)) -eq 0 ]; then
            state=$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' -- "$name" 2>/dev/null || echo "missing 0")
            case $state in
                running*) ;;
                *) echo "container $name is not running ($state): $(podman logs --tail 3 -- "$name" 2>&1 | tr '\n' ' ')" >&2; return 3 ;;
            esac
        fi
        if [ $((now - began)) -ge "$start_period" ]; then
            failures=$((failures + 1))
            if [ "$failures" -ge "$threshold" ]; then
                echo "health check GET $url failed $failures times in a row, last answer: $answer" >&2
                return 4
            fi
        fi
        if [ $((now - began)) -ge "$deadline" ]; then
            echo "health check GET $url timed out after ${deadline}s, last answer: $answer" >&2
            return 5
        fi
        if [ $((now - began)) -lt "$start_period" ]; then sleep "$start_interval"; else sleep "$interval"; fi
    done
}

# proxy-check <container name> <image>: PROXY_CFG (the next haproxy.cfg) written beside the live
# one and checked, while the new instances start: the switch (proxy) then only applies it.
proxy_check() {
    name=$1 image=$2
    : "${PROXY_CFG:?}"
    mkdir -p -- "$DEPLOY_DIR/proxy" && chmod 0700 -- "$DEPLOY_DIR" "$DEPLOY_DIR/proxy"
    printf '%s\n' "$PROXY_CFG" > "$DEPLOY_DIR/proxy/haproxy.cfg.next"
    # A server's own haproxy (Debian's, the same package as in the proxy's image: prepare-host.sh
    # installs it) checks the file without a podman process; else the running proxy checks it
    # where it will read it (its directory is mounted), or a first deploy in a throw-away
    # container of the same image.
    if command -v haproxy >/dev/null 2>&1; then
        check() { haproxy -c -q -f "$DEPLOY_DIR/proxy/haproxy.cfg.next" 2>&1; }
    elif [ "$(podman inspect --format '{{.State.Status}}' -- "$name" 2>/dev/null || true)" = running ]; then
        check() { podman exec -- "$name" haproxy -c -q -f /etc/devopstools-proxy/haproxy.cfg.next 2>&1; }
    else
        check() { podman run --rm --network=none -v "$DEPLOY_DIR/proxy:/etc/devopstools-proxy:ro,Z" -- "$image" \
            haproxy -c -q -f /etc/devopstools-proxy/haproxy.cfg.next 2>&1; }
    fi
    if ! out=$(check); then
        rm -f -- "$DEPLOY_DIR/proxy/haproxy.cfg.next"
        echo "haproxy refused the new configuration: $out" >&2
        return 6
    fi
    echo checked
}

# proxy <container name> <listener url> <podman run arguments...>: the checked haproxy.cfg.next
# becomes haproxy.cfg, applied by a master-worker reload (USR2: the new worker takes the
# listener, the old one drains); the arguments (and UNIT_TEXT) start a first proxy.
proxy() {
    name=$1 listener=$2
    shift 2
    [ -f "$DEPLOY_DIR/proxy/haproxy.cfg.next" ] || { echo "no checked proxy configuration (proxy-check first)" >&2; return 6; }
    mv -- "$DEPLOY_DIR/proxy/haproxy.cfg.next" "$DEPLOY_DIR/proxy/haproxy.cfg"
    # The reload is the usual case: tried first, one podman call. Only a proxy that is not
    # running is started (a running one that refused the signal is an error, never replaced).
    if kill_out=$(podman kill --signal USR2 -- "$name" 2>&1); then
        echo "reloaded"
    elif [ "$(podman inspect --format '{{.State.Status}}' -- "$name" 2>/dev/null || true)" = running ]; then
        echo "the proxy $name is running but did not take the reload signal: $kill_out" >&2
        return 6
    else
        start "$name" "$@"
        tries=0
        until [ "$(probe "$listener" 1 | cut -c1-3)" != 000 ]; do
            tries=$((tries + 1))
            if [ "$tries" -ge 50 ]; then
                echo "haproxy ($name) does not answer on $listener: $(podman logs --tail 3 -- "$name" 2>&1 | tr '\n' ' ')" >&2
                return 6
            fi
            sleep 0.2
        done
        echo "started"
    fi
}

# proxy-image <image> <base image>: Debian's haproxy on the module's base image, built once.
proxy_image() {
    podman image exists -- "$1" && return 0
    printf 'FROM %s\nRUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy && apt-get clean && rm -rf /var/lib/apt/lists/*\nSTOPSIGNAL SIGUSR1\n' "$2" \
        | podman build --quiet --pull=never --network=host --tag "$1" -f - >/dev/null
}

# stats: the platform's view of the app, in one run (one SSH round trip on a server): "--- state"
# then the state file (the current revision's containers and replicas), "--- inspect" then
# podman's JSON of the app's containers, "--- stats" then podman stats' JSON of the running ones,
# and when podman gives no memory figure (a nested container host runs podman with cgroups
# disabled) "--- proc" with "<name> <VmRSS kB>" lines of each one's main process.
container_stats() {
    echo '--- state'
    [ ! -f "$DEPLOY_DIR/state.json" ] || cat -- "$DEPLOY_DIR/state.json"
    present=$(podman ps -a --filter "label=devopstools.app=$APP" --filter "label=devopstools.environment=$ENV_NAME" \
        --filter label=devopstools.role=app --format '{{.Names}} {{.State}}')
    found=$(printf '%s\n' "$present" | awk 'NF { print $1 }')
    # .State is "Up 3 minutes ago" in podman 4.3 and "running" in later releases.
    running=$(printf '%s\n' "$present" | awk '$2 == "running" || $2 == "Up" { print $1 }')
    echo '--- inspect'
    # shellcheck disable=SC2086 # container names are one word each (ContainerHostLayout)
    [ -z "$found" ] || podman container inspect -- $found
    echo '--- stats'
    [ -n "$running" ] || return 0
    # shellcheck disable=SC2086
    usage=$(podman stats --no-stream --no-reset --format json -- $running 2>/dev/null || true)
    printf '%s\n' "$usage"
    case $usage in
        *'"mem_usage": "'[1-9]*) ;;
        *)
            echo '--- proc'
            # shellcheck disable=SC2086
            podman inspect --format '{{.Name}} {{.State.Pid}}' -- $running | while read -r name pid; do
                rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
                echo "$name ${rss:-0}"
            done ;;
    esac
}

write_state() {
    : "${STATE_JSON:?}"
    mkdir -p -- "$DEPLOY_DIR" && chmod 0700 -- "$DEPLOY_DIR"
    printf '%s\n' "$STATE_JSON" > "$DEPLOY_DIR/state.json.tmp"
    chmod 0600 -- "$DEPLOY_DIR/state.json.tmp"
    mv -- "$DEPLOY_DIR/state.json.tmp" "$DEPLOY_DIR/state.json"
}

case $cmd in
    read-state) [ -f "$DEPLOY_DIR/state.json" ] && cat -- "$DEPLOY_DIR/state.json"; true ;;
    write-state) write_state ;;
    digest)
        # The image id (digest of its configuration): unlike .Digest, podman save/load keeps it.
        id=$(podman image inspect --format '{{.Id}}' -- "$1" 2>/dev/null) \
            || { echo "image $1 is not on this host (podman image inspect found nothing)" >&2; exit 7; }
        echo "sha256:${id#sha256:}" ;;
    secrets) secrets "$@" ;;
    secrets-changed) secrets_changed "$@" ;;
    migrate) migrate "$@" ;;
    start) start "$@" ;;
    stop)
        # STATE_JSON, when given, is written once every container has stopped: one run ends a rollout.
        stop "$@"
        [ -z "${STATE_JSON-}" ] || write_state ;;
    wait-health) wait_health "$@" ;;
    proxy-check) proxy_check "$@" ;;
    proxy) proxy "$@" ;;
    proxy-image) proxy_image "$@" ;;
    stats) container_stats "$@" ;;
    running)
        podman ps --filter "label=devopstools.app=$APP" --filter "label=devopstools.environment=$ENV_NAME" \
            --filter label=devopstools.role=app --format '{{.Names}}' ;;
    logs)
        # logs <tail|-> <since|-> <follow 0|1> <names...>
        tail=$1 since=$2 follow=$3
        shift 3
        # podman 4.3 loses lines with --timestamps --tail together: tail here unless following.
        # Lines are prefixed by the shell's printf, which writes each at once: sed would hold a
        # followed stream in its block buffer.
        prefix() { while IFS= read -r line; do printf '%s %s\n' "$1" "$line"; done; }
        for name in "$@"; do
            set -- --timestamps
            [ "$since" = - ] || set -- "$@" --since "$since"
            if [ "$follow" = 1 ]; then
                [ "$tail" = - ] || set -- "$@" --tail "$tail"
                podman logs "$@" --follow -- "$name" 2>&1 | prefix "$name" &
            elif [ "$tail" = - ]; then
                podman logs "$@" -- "$name" 2>&1 | prefix "$name"
            else
                podman logs "$@" -- "$name" 2>&1 | tail -n "$tail" | prefix "$name"
            fi
        done
        wait ;;
    remove)
        names=$(podman ps -a --filter "label=devopstools.app=$APP" --filter "label=devopstools.environment=$ENV_NAME" --format '{{.Names}}')
        # shellcheck disable=SC2086 # names are podman's container names, one word each
        [ -z "$names" ] || stop $names
        if [ "$stopped_units" -eq 1 ]; then systemctl daemon-reload; fi
        for volume in "$@"; do podman volume rm -f -- "$volume" >/dev/null 2>&1 || true; done
        rm -rf -- "$secrets_dir"
        rm -f -- "$DEPLOY_DIR/state.json" "$DEPLOY_DIR/proxy/haproxy.cfg" "$DEPLOY_DIR/proxy/haproxy.cfg.next" "$DEPLOY_DIR/proxy/haproxy.cfg.new"
        rmdir -- "$DEPLOY_DIR/proxy" "$DEPLOY_DIR" 2>/dev/null || true ;;
    *) echo "unknown command $cmd" >&2; exit 64 ;;
esac
