{{/*
The volume services: one per entry of global.hardware.volumes, merged over
volume_defaults and checked here, so that a bad entry fails the render with
a message that names it. Gives a JSON list; read it with fromJsonArray.
*/}}
{{- define "cinder.volume-services" -}}
{{- $seen := dict -}}
{{- $out := list -}}
{{- range $i, $entry := dig "hardware" "volumes" list .Values.global -}}
{{- $where := printf "global.hardware.volumes[%d]" $i -}}
{{- if not (kindIs "map" $entry) -}}
{{- fail (printf "%s: an entry is a map such as {hostname: vol-001}, not %s" $where (toJson $entry)) -}}
{{- end -}}
{{- $node := $entry.hostname | default "" | toString -}}
{{- if not $node -}}
{{- fail (printf "%s: hostname is required, the node that runs this volume service (entry: %s)" $where (toJson $entry)) -}}
{{- end -}}
{{- if hasKey $seen $node -}}
{{- fail (printf "%s: hostname %q is already the node of %s; one volume service per node" $where $node (get $seen $node)) -}}
{{- end -}}
{{- $_ := set $seen $node $where -}}
{{- $svc := mergeOverwrite (deepCopy $.Values.volume_defaults) (deepCopy $entry) -}}
{{- if not (has $svc.backend (list "lvm" "nfs")) -}}
{{- fail (printf "%s (%s): backend %q is not one of lvm, nfs" $where $node (toString $svc.backend)) -}}
{{- end -}}
{{- if and (eq $svc.backend "lvm") (not $svc.volume_group) -}}
{{- fail (printf "%s (%s): backend lvm needs volume_group" $where $node) -}}
{{- end -}}
{{- if and (eq $svc.backend "nfs") (not $svc.nfs_shares) -}}
{{- fail (printf "%s (%s): backend nfs needs nfs_shares (host:/path exports)" $where $node) -}}
{{- end -}}
{{- $_ := set $svc "backend_name" ($svc.backend_name | default $svc.backend) -}}
{{- $_ := set $svc "where" $where -}}
{{- $out = append $out $svc -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
cinder-volume-<node>.conf: this service's host (the node name, so that its
volumes stay its own when the pod is replaced) and its one backend.
*/}}
{{- define "cinder.volume-conf" -}}
[DEFAULT]
host = {{ .hostname }}
enabled_backends = {{ .backend_name }}

[{{ .backend_name }}]
volume_backend_name = {{ .backend_name }}
{{- if eq .backend "lvm" }}
volume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver
volume_group = {{ .volume_group }}
target_helper = lioadm
target_protocol = iscsi
{{- else if eq .backend "nfs" }}
volume_driver = cinder.volume.drivers.nfs.NfsDriver
nfs_shares_config = /etc/cinder/nfs_shares
nfs_mount_point_base = /var/lib/cinder/mnt
{{- end }}
{{- end -}}

{{/* config.json of a volume service: cinder.conf, then its own file. */}}
{{- define "cinder.volume-kolla-config" -}}
{{- $files := list
      (dict "source" "/var/lib/kolla/config_files/cinder.conf" "dest" "/etc/cinder/cinder.conf" "owner" "cinder" "perm" "0600")
      (dict "source" "/var/lib/kolla/config_files/cinder-volume.conf" "dest" "/etc/cinder/cinder-volume.conf" "owner" "cinder" "perm" "0600") -}}
{{- if eq .backend "nfs" -}}
{{- $files = append $files (dict "source" "/var/lib/kolla/config_files/nfs_shares" "dest" "/etc/cinder/nfs_shares" "owner" "cinder" "perm" "0600") -}}
{{- end -}}
{{- toPrettyJson (dict
      "command" "cinder-volume --config-file /etc/cinder/cinder.conf --config-file /etc/cinder/cinder-volume.conf"
      "config_files" $files
      "permissions" (list (dict "path" "/var/lib/cinder" "owner" "cinder:cinder" "recurse" true))) -}}
{{- end -}}
