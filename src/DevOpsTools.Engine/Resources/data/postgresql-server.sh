#!/bin/sh
# PostgreSQL 15 on a server of the environment (devopstools data services placed by role); runs as root.
# Environment (data, never code; validated and rendered by the caller, PostgresServerNetwork):
#   DS_ACTION    addresses | prepare | plan | login | sql | dump | restore
#   DS_CLUSTER   (prepare, plan) the cluster's name: the data service's name, an RFC 1123 label
#   DS_PORT      (prepare, plan, login, sql) the port it listens on
#   DS_DATA_DIR  (prepare, plan) the cluster's data directory, an absolute path
#   DS_CONF      (prepare, plan) conf.d/devopstools.conf: listen_addresses, port, password_encryption
#   DS_HBA       (prepare, plan) the whole pg_hba.conf
#   DS_USER      (login, sql) a login role; DS_DB, DS_OWNER (sql) a database and its owner
#   DS_PW        (login, sql) the user's password: reaches psql through its environment only
#   DS_SQL       (sql) the psql script, run as postgres by socket with :user, :db and :owner set
# dump writes pg_dump -Fc of database DS_DB to stdout; restore reads one from stdin and replaces
# DS_DB's contents in one transaction (pg_restore --clean). Both run as postgres by peer.
# addresses prints the server's global addresses, `ip -o addr show scope global`, one per line.
# prepare is idempotent: Debian's postgresql-15 installed only when missing (no main cluster),
# the cluster created once, its files written only when they differ, a restart only when the
# listening side changed and a reload when only pg_hba.conf did. plan reports what prepare
# would change and changes nothing (for -WhatIf).
# login exits 0 when DS_USER logs in over TCP on 127.0.0.1 with DS_PW, 1 when not.
# Protocol of prepare and plan on stdout: "changed <what>" lines, then "result changed|unchanged".
set -eu
export LC_ALL=C

plan=0
case "$DS_ACTION" in
  addresses) exec ip -o addr show scope global ;;
  prepare|login|sql|dump|restore) ;;
  plan) plan=1 ;;
  *) echo "unknown DS_ACTION: $DS_ACTION" >&2; exit 2 ;;
esac

case "$DS_PORT" in ''|*[!0-9]*) echo "not a port: $DS_PORT" >&2; exit 2 ;; esac

case "$DS_ACTION" in
  dump|restore)
    case "${DS_DB:-}" in ''|[!A-Za-z_]*|*[!A-Za-z0-9_]*) echo "not a database name: ${DS_DB:-}" >&2; exit 2 ;; esac
    if [ "$DS_ACTION" = dump ]; then
      exec runuser -u postgres -- pg_dump -Fc -h /var/run/postgresql -p "$DS_PORT" -d "$DS_DB"
    fi
    exec runuser -u postgres -- pg_restore --clean --if-exists --single-transaction --exit-on-error \
      -h /var/run/postgresql -p "$DS_PORT" -d "$DS_DB"
    ;;
  login)
    PGPASSWORD=$DS_PW; export PGPASSWORD
    exec psql -X -q -A -t -w -h 127.0.0.1 -p "$DS_PORT" -U "$DS_USER" -d postgres -c 'SELECT 1' >/dev/null 2>&1
    ;;
  sql)
    # runuser keeps the environment: DOT_PW reaches psql's \getenv, never a command line.
    DOT_PW=${DS_PW:-}; export DOT_PW
    printf '%s\n' "$DS_SQL" | runuser -u postgres -- psql -X -q -A -t -h /var/run/postgresql -p "$DS_PORT" -d postgres \
      -v ON_ERROR_STOP=1 -v "user=${DS_USER:-}" -v "db=${DS_DB:-}" -v "owner=${DS_OWNER:-}"
    exit 0
    ;;
esac

case "$DS_CLUSTER" in ''|*[!a-z0-9-]*) echo "not a cluster name: $DS_CLUSTER" >&2; exit 2 ;; esac
case "$DS_DATA_DIR" in /*) ;; *) echo "not an absolute path: $DS_DATA_DIR" >&2; exit 2 ;; esac

changed=0
note() { changed=1; echo "changed $1"; }
etc=/etc/postgresql/15/$DS_CLUSTER
# done_plan WHAT...: a plan that reached a step nothing exists after notes the rest and ends.
done_plan() {
  for what in "$@"; do note "$what"; done
  echo "result changed"
  exit 0
}

# 1. Packages, only when missing. The package's own 15/main cluster is not wanted: each data
# service is a cluster of its own name and port, so the main one is never created.
status=$(dpkg-query -W -f='${db:Status-Abbrev}' postgresql-15 2>/dev/null || true)
case "$status" in
  ii*) ;;
  *)
    if [ "$plan" -eq 1 ]; then
      done_plan "packages: postgresql-15 postgresql-client-15" "cluster 15/$DS_CLUSTER in $DS_DATA_DIR" \
        "$etc/conf.d/devopstools.conf" "$etc/pg_hba.conf" "start cluster 15/$DS_CLUSTER"
    fi
    mkdir -p /etc/postgresql-common
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
      echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt_install() {
      # confold keeps the createcluster.conf written above.
      apt-get -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        install -y --no-install-recommends postgresql-15 postgresql-client-15 >/tmp/devopstools-apt.log 2>&1
    }
    if ! apt_install; then
      apt-get -q -o Dpkg::Use-Pty=0 update >/tmp/devopstools-apt.log 2>&1 || { tail -n 20 /tmp/devopstools-apt.log >&2; exit 1; }
      apt_install || { tail -n 20 /tmp/devopstools-apt.log >&2; exit 1; }
    fi
    rm -f /tmp/devopstools-apt.log
    note "packages: postgresql-15 postgresql-client-15"
    ;;
esac

# 2. The cluster, once. The superuser has no password at all: postgres logs in by peer only.
if [ ! -f "$etc/postgresql.conf" ]; then
  if [ -s "$DS_DATA_DIR/PG_VERSION" ]; then
    echo "$DS_DATA_DIR already holds a cluster that $etc does not describe; refusing to touch it" >&2
    exit 3
  fi
  if [ "$plan" -eq 1 ]; then
    done_plan "cluster 15/$DS_CLUSTER in $DS_DATA_DIR" "$etc/conf.d/devopstools.conf" "$etc/pg_hba.conf" "start cluster 15/$DS_CLUSTER"
  fi
  install -d -o postgres -g postgres -m 0700 "$DS_DATA_DIR"
  if ! out=$(pg_createcluster --datadir="$DS_DATA_DIR" --port="$DS_PORT" --start-conf=auto 15 "$DS_CLUSTER" -- \
      --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 2>&1); then
    echo "pg_createcluster failed: $out" >&2
    exit 1
  fi
  note "cluster 15/$DS_CLUSTER in $DS_DATA_DIR"
fi

# put FILE TEXT: FILE (postgres-owned, 0640) becomes TEXT when it differs; 0 when it was written
# (a plan only compares). Both sides go through $(...), so trailing newlines do not count.
put() {
  want=$(printf '%s' "$2")
  if [ -f "$1" ] && [ "$(cat -- "$1")" = "$want" ]; then return 1; fi
  if [ "$plan" -eq 1 ]; then return 0; fi
  t=$(mktemp "$1.devopstools.XXXXXX")
  printf '%s\n' "$want" >"$t"
  chown postgres:postgres "$t"
  chmod 0640 "$t"
  mv -f -- "$t" "$1"
}

restart=0
reload=0
[ "$plan" -eq 1 ] || install -d -o postgres -g postgres -m 0755 "$etc/conf.d"
# Debian 12's postgresql.conf does not read conf.d by itself; one line at its end makes it.
if ! grep -qx "include_dir = 'conf.d'" "$etc/postgresql.conf"; then
  [ "$plan" -eq 1 ] || printf '%s\n' "include_dir = 'conf.d'" >>"$etc/postgresql.conf"
  note "$etc/postgresql.conf reads conf.d"
  restart=1
fi
if put "$etc/conf.d/devopstools.conf" "$DS_CONF"; then note "$etc/conf.d/devopstools.conf"; restart=1; fi
if put "$etc/pg_hba.conf" "$DS_HBA"; then note "$etc/pg_hba.conf"; reload=1; fi

# 3. Running, on the configuration just written.
running=0
if pg_ctlcluster 15 "$DS_CLUSTER" status >/dev/null 2>&1; then running=1; fi
if [ "$plan" -eq 1 ]; then
  [ "$running" -eq 1 ] || note "start cluster 15/$DS_CLUSTER"
  if [ "$changed" -eq 1 ]; then echo "result changed"; else echo "result unchanged"; fi
  exit 0
fi
if [ "$running" -eq 0 ]; then
  pg_ctlcluster 15 "$DS_CLUSTER" start >/dev/null 2>&1 || { echo "starting cluster 15/$DS_CLUSTER failed:" >&2; tail -n 10 "/var/log/postgresql/postgresql-15-$DS_CLUSTER.log" >&2 2>/dev/null; exit 1; }
  note "start cluster 15/$DS_CLUSTER"
elif [ "$restart" -eq 1 ]; then
  pg_ctlcluster 15 "$DS_CLUSTER" restart >/dev/null 2>&1 || { echo "restarting cluster 15/$DS_CLUSTER failed:" >&2; tail -n 10 "/var/log/postgresql/postgresql-15-$DS_CLUSTER.log" >&2 2>/dev/null; exit 1; }
elif [ "$reload" -eq 1 ]; then
  pg_ctlcluster 15 "$DS_CLUSTER" reload >/dev/null 2>&1
fi

tries=0
until pg_isready -q -h /var/run/postgresql -p "$DS_PORT"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then echo "cluster 15/$DS_CLUSTER is not ready on port $DS_PORT after 30 s" >&2; exit 1; fi
  sleep 0.5
done

if [ "$changed" -eq 1 ]; then echo "result changed"; else echo "result unchanged"; fi
