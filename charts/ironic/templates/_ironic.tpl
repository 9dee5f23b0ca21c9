{{/*
The region's conductor hosts (global.hardware.ironic_conductors), checked:
each entry is a hostname string or a mapping with hostname
(osh-lib.hardware-entries) and an optional provisioning_ip. A mistake fails
the render naming the entry. Gives JSON {position: {hostname, ...}} of every
host (a plain host has its hostname alone), in list order; read it with
fromJson.
*/}}
{{- define "ironic.conductors" -}}
{{- $list := include "osh-lib.hardware-entries" (dict "ctx" . "key" "ironic_conductors" "what" "conductor host") | fromJson -}}
{{- $out := dict -}}
{{- range $at, $hostname := $list.hosts -}}
{{- $entry := get $list.entries $at | default (dict "hostname" $hostname) -}}
{{- with $entry.provisioning_ip -}}
{{- if not (regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$|^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$" (toString .)) -}}
{{- fail (printf "%s: provisioning_ip %q is not an IP address" $entry.where (toString .)) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $out $at $entry -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
The conductor hosts in node groups (osh-lib.node-groups): JSON group id ->
hostnames. Each group is one conductor and one PXE DaemonSet.
*/}}
{{- define "ironic.conductor-groups" -}}
{{- $hosts := dict -}}
{{- range $at, $conductor := include "ironic.conductors" . | fromJson -}}
{{- $_ := set $hosts $at $conductor.hostname -}}
{{- end -}}
{{- include "osh-lib.node-groups" (dict "ctx" . "hosts" $hosts) -}}
{{- end -}}

{{/* One conductor host's own ironic.conf part: files/ironic-conductor-host.conf with .Conductor. */}}
{{- define "ironic.conductor-host-conf" -}}
{{- $ctx := .ctx -}}
{{- tpl ($ctx.Files.Get "files/ironic-conductor-host.conf") (dict "Values" $ctx.Values "Release" $ctx.Release "Chart" $ctx.Chart "Files" $ctx.Files "Capabilities" $ctx.Capabilities "Template" $ctx.Template "Conductor" .conductor) -}}
{{- end -}}

{{/*
The Kolla config dir of one pod: the keys of the Secret ironic-etc it needs,
plus its own config-<role>.json mounted as config.json.
*/}}
{{- define "ironic.config-volume" -}}
- name: {{ .volume | default "kolla-config" }}
  secret:
    secretName: ironic-etc
    defaultMode: 0440
    items:
      {{- range .files }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
      - key: {{ printf "config-%s.json" .role }}
        path: config.json
{{- end -}}

{{- define "ironic.config-volume-mount" -}}
- name: {{ .volume | default "kolla-config" }}
  mountPath: /var/lib/kolla/config_files
  readOnly: true
{{- end -}}

{{/* The ironic group of the Kolla images. */}}
{{- define "ironic.pod-security-context" -}}
fsGroup: 42422
{{- end -}}

{{/* The host dir a conductor and its PXE servers share: boot files and images. */}}
{{- define "ironic.state-volume" -}}
- name: ironic-state
  hostPath:
    path: /var/lib/ironic
    type: DirectoryOrCreate
{{- end -}}

{{/*
Where Kolla's ironic-pxe image puts boot files (its extend_start reads these):
the host dir the conductor writes to, not the image's /tftpboot.
*/}}
{{- define "ironic.boot-paths-env" -}}
- name: TFTPBOOT_PATH
  value: /var/lib/ironic/tftpboot
- name: HTTPBOOT_PATH
  value: /var/lib/ironic/httpboot
{{- end -}}
