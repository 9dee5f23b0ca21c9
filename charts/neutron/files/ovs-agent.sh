#!/bin/sh
# Start of the Open vSwitch agent: the bridges of bridge_mappings must exist
# before the agent starts (it stops otherwise), and [ovs] local_ip is this
# node's own tunnel address, known only on the node.
# Inputs (env): OVS_BRIDGES (space-separated), TUNNEL_IP (the node's
# address), NODE_NAME, OVSDB_CONNECTION and OVS_DATAPATH_TYPE; and the node's own settings, when the region gives it
# any, in /var/lib/osh/nodes/$NODE_NAME (the ConfigMap neutron-nodes), one
# key=value per line: tunnel_ip (replaces TUNNEL_IP) and external_interface
# (a NIC added to the first bridge).
set -eu

OVS_EXTERNAL_INTERFACE=
settings=/var/lib/osh/nodes/${NODE_NAME:-}
if [ -n "${NODE_NAME:-}" ] && [ -f "$settings" ]; then
    while IFS='=' read -r key value; do
        case $key in
            tunnel_ip) TUNNEL_IP=$value ;;
            external_interface) OVS_EXTERNAL_INTERFACE=$value ;;
        esac
    done < "$settings"
fi

db=$OVSDB_CONNECTION
tries=0
until ovs-vsctl --db="$db" --timeout=5 show >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "ovs-agent: no Open vSwitch at $db after 300s" >&2; exit 1; }
    sleep 5
done

first=
for bridge in $OVS_BRIDGES; do
    ovs-vsctl --db="$db" --may-exist add-br "$bridge" \
        -- set bridge "$bridge" datapath_type="$OVS_DATAPATH_TYPE"
    first=${first:-$bridge}
done
if [ -n "$OVS_EXTERNAL_INTERFACE" ] && [ -n "$first" ]; then
    ovs-vsctl --db="$db" --may-exist add-port "$first" "$OVS_EXTERNAL_INTERFACE"
fi

conf=$(mktemp /tmp/local-ip.XXXXXX.ini)
printf '[ovs]\nlocal_ip = %s\n' "$TUNNEL_IP" > "$conf"
exec neutron-openvswitch-agent \
    --config-file /etc/neutron/neutron.conf \
    --config-file /etc/neutron/plugins/ml2/openvswitch_agent.ini \
    --config-file "$conf"
