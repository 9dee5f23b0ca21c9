{{/*
The share services: one per entry of global.hardware.shares, merged over
share_defaults and checked here, so that a bad entry fails the render with a
message that names it. Gives a JSON list; read it with fromJsonArray.
*/}}
{{- define "manila.share-services" -}}
{{- $seen := dict -}}
{{- $out := list -}}
{{- range $i, $entry := dig "hardware" "shares" list .Values.global -}}
{{- $where := printf "global.hardware.shares[%d]" $i -}}
{{- if not (kindIs "map" $entry) -}}
{{- fail (printf "%s: an entry is a map such as {hostname: share-001, export_ip: 10.0.9.21}, not %s" $where (toJson $entry)) -}}
{{- end -}}
{{- $node := $entry.hostname | default "" | toString -}}
{{- if not $node -}}
{{- fail (printf "%s: hostname is required, the node that runs this share service (entry: %s)" $where (toJson $entry)) -}}
{{- end -}}
{{- if hasKey $seen $node -}}
{{- fail (printf "%s: hostname %q is already the node of %s; one share service per node" $where $node (get $seen $node)) -}}
{{- end -}}
{{- $_ := set $seen $node $where -}}
{{- $svc := mergeOverwrite (deepCopy $.Values.share_defaults) (deepCopy $entry) -}}
{{- if ne (toString $svc.backend) "lvm" -}}
{{- fail (printf "%s (%s): backend %q is not one of lvm" $where $node (toString $svc.backend)) -}}
{{- end -}}
{{- if not $svc.volume_group -}}
{{- fail (printf "%s (%s): backend lvm needs volume_group" $where $node) -}}
{{- end -}}
{{- if not (regexMatch "^[0-9a-fA-F.:]+$" (toString $svc.export_ip)) -}}
{{- fail (printf "%s (%s): backend lvm needs export_ip, the node's address that clients mount from (got %q)" $where $node (toString $svc.export_ip)) -}}
{{- end -}}
{{- $_ := set $svc "backend_name" ($svc.backend_name | default $svc.backend) -}}
{{- $out = append $out $svc -}}
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
{{- end -}}

{{/* config.json of a share service: manila.conf, then its own file. */}}
{{- define "manila.share-kolla-config" -}}
{{- toPrettyJson (dict
      "command" "manila-share --config-file /etc/manila/manila.conf --config-file /etc/manila/manila-share.conf"
      "config_files" (list
        (dict "source" "/var/lib/kolla/config_files/manila.conf" "dest" "/etc/manila/manila.conf" "owner" "manila" "perm" "0600")
        (dict "source" "/var/lib/kolla/config_files/manila-share.conf" "dest" "/etc/manila/manila-share.conf" "owner" "manila" "perm" "0600"))
      "permissions" (list (dict "path" "/var/lib/manila" "owner" "manila:manila" "recurse" true))) -}}
{{- end -}}
