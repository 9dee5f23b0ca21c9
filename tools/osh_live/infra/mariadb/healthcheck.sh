#!/bin/sh
# Is the server healthy? Each option is one check, all must pass:
#   --connect              a client connects over TCP on the pod's loopback
#   --innodb_initialized   the InnoDB engine is up
# The healthcheck user (no privileges) and its password are those the
# entrypoint made on first start.
set -eu
client() {
    mariadb --defaults-extra-file=/var/lib/mysql/.my-healthcheck.cnf \
            --protocol=tcp --host=127.0.0.1 --skip-column-names --batch "$@"
}
[ $# -gt 0 ] || set -- --connect
for check in "$@"; do
    case "$check" in
        --connect)
            client -e 'SELECT 1' >/dev/null ;;
        --innodb_initialized)
            [ "$(client -e "SELECT 1 FROM information_schema.ENGINES WHERE engine = 'InnoDB' AND support IN ('YES', 'DEFAULT')")" = 1 ] ;;
        *)
            echo "healthcheck.sh: unknown check $check" >&2
            exit 2 ;;
    esac
done
