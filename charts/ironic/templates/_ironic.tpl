{{/*
The region's conductor hosts (global.hardware.ironic_conductors), checked:
every entry names its node in hostname (a Kubernetes node name), no
hostname twice, an optional provisioning_ip. A mistake fails the render
naming the entry. Gives a JSON list; read it with fromJsonArray.
*/}}
{{- define "ironic.conductors" -}}
{{- $seen := dict -}}
{{- $out := list -}}
{{- $list := dig "hardware" "ironic_conductors" list (.Values.global | default dict) -}}
{{- if not (kindIs "slice" $list) -}}
{{- fail (printf "global.hardware.ironic_conductors: must be a list of {hostname, ...}, not %s" (kindOf $list)) -}}
{{- end -}}
{{- range $i, $entry := $list -}}
{{- $where := printf "global.hardware.ironic_conductors[%d]" $i -}}
{{- if not (kindIs "map" $entry) -}}
{{- fail (printf "%s: must be a mapping with hostname, not %v" $where $entry) -}}
{{- end -}}
{{- $hostname := $entry.hostname | default "" | toString -}}
{{- if not $hostname -}}
{{- fail (printf "%s: hostname is required (the Kubernetes node name of this conductor host)" $where) -}}
{{- end -}}
{{- $where = printf "%s (hostname %s)" $where $hostname -}}
{{- if or (gt (len $hostname) 200) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" $hostname)) -}}
{{- fail (printf "%s: hostname is not a Kubernetes node name (a lowercase DNS name of at most 200 characters)" $where) -}}
{{- end -}}
{{- if hasKey $seen $hostname -}}
{{- fail (printf "%s: duplicate hostname, already global.hardware.ironic_conductors[%v]" $where (get $seen $hostname)) -}}
{{- end -}}
{{- $_ := set $seen $hostname $i -}}
{{- with $entry.provisioning_ip -}}
{{- if not (regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$|^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$" (toString .)) -}}
{{- fail (printf "%s: provisioning_ip %q is not an IP address" $where (toString .)) -}}
{{- end -}}
{{- end -}}
{{- $out = append $out (merge (dict "hostname" $hostname) $entry) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
The value of the label openstack-helm.org/hostname, which tells one host's
workloads apart in their selectors: the hostname when it fits a label value
(63 characters), else its first 54 characters and a hash of the whole name.
*/}}
{{- define "ironic.node-label" -}}
{{- if le (len .) 63 -}}
{{- . -}}
{{- else -}}
{{- printf "%s-%s" (trunc 54 . | trimSuffix "." | trimSuffix "-") (sha256sum . | trunc 8) -}}
{{- end -}}
{{- end -}}

{{- define "ironic.host-selector-labels" -}}
{{ include "osh-lib.selector-labels" (dict "ctx" .ctx "component" .component) }}
openstack-helm.org/hostname: {{ include "ironic.node-label" .conductor.hostname | quote }}
{{- end -}}

{{- define "ironic.host-labels" -}}
{{ include "osh-lib.labels" (dict "ctx" .ctx "component" .component) }}
openstack-helm.org/hostname: {{ include "ironic.node-label" .conductor.hostname | quote }}
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
