{{/*
The share services: one per entry of global.hardware.shares (a mapping with
hostname and export_ip; osh-lib.hardware-entries), merged over
share_defaults and checked here, so that a bad entry fails the render with a
message that names it. Gives them as osh-lib.hardware-entries does (a
JSON object in list order); read it with fromJson.
*/}}
{{- define "manila.share-services" -}}
{{- $list := include "osh-lib.hardware-entries" (dict "ctx" . "key" "shares" "what" "share node") | fromJson -}}
{{- $out := dict -}}
{{- range $at, $hostname := $list.hosts -}}
{{- $entry := get $list.entries $at | default (dict "hostname" $hostname "where" (printf "%s (hostname %s)" (get $list.at $at) $hostname)) -}}
{{- $where := $entry.where -}}
{{- $svc := merge (omit $entry "where") $.Values.share_defaults -}}
{{- if ne (toString $svc.backend) "lvm" -}}
{{- fail (printf "%s: backend %q is not one of lvm" $where (toString $svc.backend)) -}}
{{- end -}}
{{- if not $svc.volume_group -}}
{{- fail (printf "%s: backend lvm needs volume_group" $where) -}}
{{- end -}}
{{- if not (regexMatch "^[0-9a-fA-F.:]+$" (toString $svc.export_ip)) -}}
{{- fail (printf "%s: backend lvm needs export_ip, the node's address that clients mount from (got %q)" $where (toString $svc.export_ip)) -}}
{{- end -}}
{{- $_ := set $svc "backend_name" ($svc.backend_name | default $svc.backend) -}}
{{- $_ := set $out $at $svc -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
manila-share-<node>.conf: this service's host (the node name, so that its
shares stay its own when the pod is replaced) and its one backend.
*/}}
{{- define "manila.share-conf" -}}
[DEFAULT]
host = {{ .hostname }}
enabled_share_backends = {{ .backend_name }}

[{{ .backend_name }}]
share_backend_name = {{ .backend_name }}
share_driver = manila.share.drivers.lvm.LVMShareDriver
driver_handles_share_servers = false
lvm_share_volume_group = {{ .volume_group }}
lvm_share_export_ips = {{ .export_ip }}

[manila_sys_admin]
# Through rootwrap (files/privsep.filters): Kolla's sudoers has no
# privsep-helper, so oslo.privsep's default `sudo privsep-helper` asks for a
# password and the driver never starts.
helper_command = sudo manila-rootwrap /etc/manila/rootwrap.conf privsep-helper --config-file /etc/manila/manila.conf --config-file /etc/manila/manila-share.conf
{{- end -}}

{{/*
config.json of every share service: manila.conf, then the node's own file,
which each pod mounts from the Secret manila-share-nodes under
/var/lib/kolla/node.
*/}}
{{- define "manila.share-kolla-config" -}}
{{- toPrettyJson (dict
      "command" "manila-share --config-file /etc/manila/manila.conf --config-file /etc/manila/manila-share.conf"
      "config_files" (list
        (dict "source" "/var/lib/kolla/config_files/manila.conf" "dest" "/etc/manila/manila.conf" "owner" "manila" "perm" "0600")
        (dict "source" "/var/lib/kolla/node/manila-share.conf" "dest" "/etc/manila/manila-share.conf" "owner" "manila" "perm" "0600")
        (dict "source" "/var/lib/kolla/config_files/privsep.filters" "dest" "/etc/manila/rootwrap.d/privsep.filters" "owner" "root" "perm" "0644"))
      "permissions" (list (dict "path" "/var/lib/manila" "owner" "manila:manila" "recurse" true))) -}}
{{- end -}}

{{/* The share nodes in node groups (osh-lib.node-groups): JSON group id -> hostnames. */}}
{{- define "manila.share-groups" -}}
{{- $hosts := dict -}}
{{- range $at, $svc := include "manila.share-services" . | fromJson -}}
{{- $_ := set $hosts $at $svc.hostname -}}
{{- end -}}
{{- include "osh-lib.node-groups" (dict "ctx" . "hosts" $hosts) -}}
{{- end -}}
