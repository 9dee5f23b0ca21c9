{{/*
The volume services: one per host of global.hardware.volumes (a hostname
string, whose hosts take volume_defaults, or a mapping with hostname that
overrides any of them; osh-lib.hardware-entries), merged over
volume_defaults and checked here, so that a bad entry fails the render with
a message that names it. Gives them as osh-lib.hardware-entries does (a
JSON object in list order); read it with fromJson.
*/}}
{{- define "cinder.volume-services" -}}
{{- $list := include "osh-lib.hardware-entries" (dict "ctx" . "key" "volumes" "what" "volume node") | fromJson -}}
{{- $out := dict -}}
{{- range $at, $hostname := $list.hosts -}}
{{- $entry := get $list.entries $at | default (dict "hostname" $hostname "where" (printf "%s (hostname %s)" (get $list.at $at) $hostname)) -}}
{{- $where := $entry.where -}}
{{- $svc := merge (omit $entry "where") $.Values.volume_defaults -}}
{{- if not (has $svc.backend (list "lvm" "nfs")) -}}
{{- fail (printf "%s: backend %q is not one of lvm, nfs" $where (toString $svc.backend)) -}}
{{- end -}}
{{- if and (eq $svc.backend "lvm") (not $svc.volume_group) -}}
{{- fail (printf "%s: backend lvm needs volume_group" $where) -}}
{{- end -}}
{{- if and (eq $svc.backend "nfs") (not $svc.nfs_shares) -}}
{{- fail (printf "%s: backend nfs needs nfs_shares (host:/path exports)" $where) -}}
{{- end -}}
{{- $_ := set $svc "backend_name" ($svc.backend_name | default $svc.backend) -}}
{{- $_ := set $svc "target_helper" $.Values.conf.target_helper -}}
{{- $_ := set $svc "where" $where -}}
{{- $_ := set $out $at $svc -}}
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
target_helper = {{ .target_helper }}
target_protocol = iscsi
{{- else if eq .backend "nfs" }}
volume_driver = cinder.volume.drivers.nfs.NfsDriver
nfs_shares_config = /etc/cinder/nfs_shares
nfs_mount_point_base = /var/lib/cinder/mnt
{{- end }}
{{- end -}}

{{/*
config.json of the volume services of one backend (.backend): cinder.conf,
then the node's own file (and NFS exports), which each pod mounts from the
Secret cinder-volume-nodes under /var/lib/kolla/node.
*/}}
{{- define "cinder.volume-kolla-config" -}}
{{- $files := list
      (dict "source" "/var/lib/kolla/config_files/cinder.conf" "dest" "/etc/cinder/cinder.conf" "owner" "cinder" "perm" "0600")
      (dict "source" "/var/lib/kolla/node/cinder-volume.conf" "dest" "/etc/cinder/cinder-volume.conf" "owner" "cinder" "perm" "0600") -}}
{{- if eq .backend "nfs" -}}
{{- $files = append $files (dict "source" "/var/lib/kolla/node/nfs_shares" "dest" "/etc/cinder/nfs_shares" "owner" "cinder" "perm" "0600") -}}
{{- end -}}
{{- toPrettyJson (dict
      "command" "cinder-volume --config-file /etc/cinder/cinder.conf --config-file /etc/cinder/cinder-volume.conf"
      "config_files" $files
      "permissions" (list (dict "path" "/var/lib/cinder" "owner" "cinder:cinder" "recurse" true))) -}}
{{- end -}}

{{/*
The volume nodes in node groups (osh-lib.node-groups), per backend, whose
pods differ: JSON {"lvm": {group id: hostnames}, "nfs": {...}}.
*/}}
{{- define "cinder.volume-groups" -}}
{{- $hosts := dict "lvm" dict "nfs" dict -}}
{{- range $at, $svc := include "cinder.volume-services" . | fromJson -}}
{{- $_ := set (get $hosts $svc.backend) $at $svc.hostname -}}
{{- end -}}
{{- $out := dict -}}
{{- range $backend, $list := $hosts -}}
{{- $_ := set $out $backend (include "osh-lib.node-groups" (dict "ctx" $ "hosts" $list) | fromJson) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* A volume node's own files in the Secret cinder-volume-nodes: <hostname>.conf and, for nfs, <hostname>.nfs_shares. */}}
{{- define "cinder.volume-node-files" -}}
{{ .hostname }}.conf: |
  {{- include "cinder.volume-conf" . | nindent 2 }}
{{- if eq .backend "nfs" }}
{{ .hostname }}.nfs_shares: |
  {{- range .nfs_shares }}
  {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
The nodes of cinder's iscsid in node groups: the lvm volume nodes (their
volumes are iSCSI targets, and cinder-volume attaches them for image and
backup copies), but for those that are kvm hypervisors of
global.hardware.hypervisors too, whose iscsid is nova's (one iscsid a host:
its control socket is the host network's). JSON group id -> hostnames.
*/}}
{{- define "cinder.iscsid-groups" -}}
{{- $kvm := dict -}}
{{- $hypervisors := include "osh-lib.hardware-entries" (dict "ctx" . "key" "hypervisors" "what" "hypervisor") | fromJson -}}
{{- range $at, $hostname := $hypervisors.hosts -}}
{{- $entry := get $hypervisors.entries $at | default dict -}}
{{- if eq (toString ($entry.kind | default "kvm")) "kvm" -}}
{{- $_ := set $kvm $hostname true -}}
{{- end -}}
{{- end -}}
{{- $hosts := dict -}}
{{- range $at, $svc := include "cinder.volume-services" . | fromJson -}}
{{- if and (eq $svc.backend "lvm") (not (hasKey $kvm $svc.hostname)) -}}
{{- $_ := set $hosts $at $svc.hostname -}}
{{- end -}}
{{- end -}}
{{- include "osh-lib.node-groups" (dict "ctx" . "hosts" $hosts) -}}
{{- end -}}
