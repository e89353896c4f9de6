#!/bin/sh
# Entry point of a DevOpsTools data service container (PostgreSQL 15), run as postgres.
# PGDATA is on the service's named volume; PGPORT is the port it listens on, on 127.0.0.1 only
# (the container shares the host's network). The first start creates the cluster there.
set -eu
: "${PGDATA:?}" "${PGPORT:?}"
bin=/usr/lib/postgresql/15/bin
case $PGPORT in ''|*[!0-9]*) echo "PGPORT is not a port: $PGPORT" >&2; exit 64 ;; esac
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    # No superuser password at all: postgres logs in over the socket by peer only; every TCP
    # login is a user with a scram-sha-256 password.
    "$bin/initdb" -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    printf '%s\n' \
        '# Written by DevOpsTools: the superuser by socket, users by password from loopback only.' \
        'local all postgres peer' \
        'local all all reject' \
        'host all postgres 0.0.0.0/0 reject' \
        'host all all 127.0.0.1/32 scram-sha-256' > "$PGDATA/pg_hba.conf"
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses=127.0.0.1 -c port="$PGPORT" \
    -c unix_socket_directories=/run/postgresql -c password_encryption=scram-sha-256
