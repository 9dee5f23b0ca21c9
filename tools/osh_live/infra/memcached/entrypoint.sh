#!/bin/sh
# memcached as the charts run it: arguments starting with "-" are memcached's
# (--memory-limit, --conn-limit); anything else is run as given.
set -eu
case "${1:-}" in
    ""|-*) set -- memcached "$@" ;;
esac
exec "$@"
