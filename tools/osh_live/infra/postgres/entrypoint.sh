#!/bin/sh
# PostgreSQL as the charts run it: arguments starting with "-" are the
# server's (`-c key=value`); on first start $PGDATA is initialised with the
# postgres superuser and POSTGRES_PASSWORD; the server runs as postgres.
set -eu

case "${1:-}" in
    ""|-*) set -- postgres "$@" ;;
esac
if [ "$1" != postgres ]; then
    exec "$@"
fi
shift

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

# Started as root (podman, docker): hand the data over to postgres and go on
# as postgres. Under the charts the pod already runs as 999.
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

mkdir -p "$PGDATA"
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "postgres: POSTGRES_PASSWORD is needed to initialise $PGDATA" >&2
        exit 1
    fi
    # The password goes through a file only postgres can read, never argv.
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    # UTF-8 whatever the environment: the services' schemas need it.
    # Connections from the pod itself are trusted (the probes); every other
    # host must give a password, checked with SCRAM.
    initdb --username=postgres --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
           --auth-local=trust --auth-host=trust >&2
    rm -f "$pwfile"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    echo "postgres: initialised $PGDATA" >&2
fi

exec postgres "$@"
