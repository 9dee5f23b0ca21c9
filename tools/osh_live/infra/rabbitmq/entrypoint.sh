#!/bin/sh
# RabbitMQ as the chart runs it: configuration, plugins and definitions all
# come from /etc/rabbitmq (mounted by the chart), the node's state from
# /var/lib/rabbitmq; the node runs as rabbitmq.
set -eu

case "${1:-}" in
    ""|-*) set -- rabbitmq-server "$@" ;;
esac
if [ "$1" != rabbitmq-server ]; then
    exec "$@"
fi

# Started as root (podman, docker): hand the state over to rabbitmq and go on
# as rabbitmq. Under the chart the pod already runs as 999.
if [ "$(id -u)" = 0 ]; then
    chown rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$0" "$@"
fi

exec "$@"
