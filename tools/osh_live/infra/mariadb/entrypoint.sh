#!/bin/sh
# MariaDB as the charts run it: arguments starting with "-" are the server's;
# on first start the data directory is created, root gets
# MARIADB_ROOT_PASSWORD from everywhere, and a healthcheck user is made for
# healthcheck.sh; the server runs as mysql.
set -eu

case "${1:-}" in
    ""|-*) set -- mariadbd "$@" ;;
esac
case "$1" in
    mariadbd|mysqld) shift ;;
    *) exec "$@" ;;
esac

datadir=/var/lib/mysql

# Started as root (podman, docker): hand the data over to mysql and go on as
# mysql. Under the chart the pod already runs as 999.
if [ "$(id -u)" = 0 ]; then
    chown mysql:mysql "$datadir" /run/mysqld
    exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" mariadbd "$@"
fi

sql_literal() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g"; }

if [ ! -d "$datadir/mysql" ]; then
    password=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
    if [ -z "$password" ]; then
        echo "mariadb: MARIADB_ROOT_PASSWORD is needed to initialise $datadir" >&2
        exit 1
    fi
    mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal \
                       --skip-test-db --skip-name-resolve >&2
    # A first server on a private socket and no network, to set the users.
    socket=/run/mysqld/init.sock
    mariadbd --datadir="$datadir" --skip-networking --socket="$socket" &
    server=$!
    tries=0
    until mariadb-admin --socket="$socket" --user=root ping >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 60 ] || { echo "mariadb: the first start failed" >&2; exit 1; }
        sleep 1
    done
    root=$(sql_literal "$password")
    check=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    mariadb --socket="$socket" --user=root <<SQL
CREATE USER 'root'@'%' IDENTIFIED BY '$root';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
CREATE USER 'healthcheck'@'localhost' IDENTIFIED BY '$check';
CREATE USER 'healthcheck'@'127.0.0.1' IDENTIFIED BY '$check';
CREATE USER 'healthcheck'@'::1' IDENTIFIED BY '$check';
ALTER USER 'root'@'localhost' IDENTIFIED BY '$root';
-- mariadb-install-db also makes password-less root users for the loopback
-- addresses and the host name, and anonymous ones: none may stay.
DELETE FROM mysql.global_priv WHERE (User = 'root' AND Host NOT IN ('localhost', '%')) OR User = '';
FLUSH PRIVILEGES;
SQL
    umask 077
    printf '[client]\nuser=healthcheck\npassword=%s\n' "$check" > "$datadir/.my-healthcheck.cnf"
    MYSQL_PWD=$password mariadb-admin --socket="$socket" --user=root shutdown
    wait "$server" || true
    echo "mariadb: initialised $datadir" >&2
fi

exec mariadbd "$@"
