#!/bin/sh
# Register one service in Keystone: the service project, the service's user
# with its roles, the service entry and its public, internal and admin
# endpoints in this region. Idempotent: existing objects are updated to the
# values given, so a changed password or URL is applied on the next run.
# Admin credentials: OS_* (Secret keystone-admin). Inputs: SERVICE_NAME,
# SERVICE_TYPE, SERVICE_DESCRIPTION, SERVICE_USER, SERVICE_PASSWORD,
# SERVICE_ROLES (space-separated), ENDPOINT_PUBLIC, ENDPOINT_INTERNAL,
# ENDPOINT_ADMIN, OS_REGION_NAME.
set -eu

tries=0
until openstack token issue >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "ks-register: Keystone not reachable after 300s" >&2; exit 1; }
    sleep 5
done

openstack project show --domain default service >/dev/null 2>&1 ||
    openstack project create --domain default --description "OpenStack services" service

# --password is visible only inside this Job's own pod (its own PID
# namespace): the client reads a password from nowhere else without a terminal.
if openstack user show --domain default "$SERVICE_USER" >/dev/null 2>&1; then
    openstack user set --domain default --password "$SERVICE_PASSWORD" "$SERVICE_USER"
else
    openstack user create --domain default --project service \
        --password "$SERVICE_PASSWORD" "$SERVICE_USER"
fi
for role in $SERVICE_ROLES; do
    openstack role show "$role" >/dev/null 2>&1 || openstack role create "$role"
    openstack role add --project service --user "$SERVICE_USER" \
        --user-domain default --project-domain default "$role"
done

openstack service show "$SERVICE_TYPE" >/dev/null 2>&1 ||
    openstack service create --name "$SERVICE_NAME" --description "$SERVICE_DESCRIPTION" "$SERVICE_TYPE"

for interface in public internal admin; do
    case $interface in
        public) url=$ENDPOINT_PUBLIC ;;
        internal) url=$ENDPOINT_INTERNAL ;;
        admin) url=$ENDPOINT_ADMIN ;;
    esac
    id=$(openstack endpoint list --service "$SERVICE_TYPE" --interface "$interface" \
        --region "$OS_REGION_NAME" -f value -c ID)
    if [ -n "$id" ]; then
        openstack endpoint set --url "$url" "$id"
    else
        openstack endpoint create --region "$OS_REGION_NAME" "$SERVICE_TYPE" "$interface" "$url"
    fi
done
echo "ks-register: $SERVICE_NAME ($SERVICE_TYPE) registered in $OS_REGION_NAME"
