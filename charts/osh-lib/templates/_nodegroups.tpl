{{/*
Node groups: the hosts of a hardware list split into global.node_groups
groups by a hash of each hostname. A chart renders one DaemonSet per group
and component, pinned to the group's hosts, instead of one per host: the
release stays small however many hosts the region has. A host's group
depends on its name alone, so adding or removing a host changes the host
list of its own group (and rolls that group's pods), never another group's.

  include "osh-lib.node-groups" (dict "ctx" $ "hosts" (dict "000000" "kvm-001" "000001" "kvm-002"))

gives JSON {"07": ["kvm-001"], "41": ["kvm-002"]}: group id (zero-padded to
the width of the largest id) -> its hostnames, sorted. "hosts" is an object
whose values are the hostnames (its keys do not matter; see
osh-lib.hardware-entries for why not a list). Read the result with fromJson;
`range` visits the groups in id order.
*/}}
{{- define "osh-lib.node-groups" -}}
{{- $count := int (include "osh-lib.node-group-count" .ctx) -}}
{{- $width := len (toString (sub $count 1)) -}}
{{- $groups := dict -}}
{{- range .hosts -}}
{{- /* 32 bits of the name's sha256, read as hex by int (strconv base 0). */ -}}
{{- $id := printf "%0*d" $width (mod (int (printf "0x%s" (sha256sum . | trunc 8))) $count) -}}
{{- if not (hasKey $groups $id) -}}
{{- $_ := set $groups $id dict -}}
{{- end -}}
{{- $_ := set (get $groups $id) . true -}}
{{- end -}}
{{- range $id, $hosts := $groups -}}
{{- $_ := set $groups $id (keys $hosts | sortAlpha) -}}
{{- end -}}
{{- toJson $groups -}}
{{- end -}}

{{/* global.node_groups, checked: a whole number from 1 to 1000. */}}
{{- define "osh-lib.node-group-count" -}}
{{- $value := include "osh-lib.required" (dict "key" "global.node_groups" "value" (dig "node_groups" "" (.Values.global | default dict))) -}}
{{- if not (regexMatch "^[1-9][0-9]{0,3}$" $value) -}}
{{- fail (printf "global.node_groups: %q is not a whole number from 1 to 1000" $value) -}}
{{- end -}}
{{- if gt (int $value) 1000 -}}
{{- fail (printf "global.node_groups: %s is not a whole number from 1 to 1000" $value) -}}
{{- end -}}
{{- $value -}}
{{- end -}}

{{/*
The label that tells one group's pods from another's, in the selector and
the pod template of every group DaemonSet (quoted: "07" is a string).

  {{- include "osh-lib.node-group-label" "07" | nindent 4 }}
*/}}
{{- define "osh-lib.node-group-label" -}}
openstack-helm.org/node-group: {{ . | quote }}
{{- end -}}

{{/*
The annotation the placement stage pins a workload by: its node, or the
nodes of its group, comma-separated (docs/placement.md).
*/}}
{{- define "osh-lib.hostname-annotation" -}}
placement.openstack-helm.org/hostname: {{ join "," . | quote }}
{{- end -}}

{{/*
One DaemonSet per node group, alike but for the group: named
<name>-group-<id>, with the group's label in its selector and pod template
and the group's hosts in the hostname annotation, which the placement stage
turns into the pods' node affinity. The caller renders the labels, the pod
template's annotations and the pod spec once for all groups: a region of
thousands of hosts then renders in about the time of a few dozen.

  include "osh-lib.group-daemonsets" (dict
      "ctx" $                       # the chart's context: its globals (osh-lib.pod-access)
      "name" "nova-compute"
      "groups" $groups              # osh-lib.node-groups, read with fromJson
      "labels" $labels              # the workload's labels, as YAML text
      "selector" $selector          # its selector labels, as YAML text
      "annotations" $annotations    # the pod template's annotations (checksums), as YAML text
      "groupAnnotations" $byGroup   # optional: group id -> more pod template annotations
      "spec" $spec)                 # the pod spec, as YAML text

The pod spec gets osh-lib.pod-access here, so the caller's "spec" leaves it out.

Groups are replaced one node at a time (maxUnavailable 1), which also keeps
two pods of one host's service from ever running at once.
*/}}
{{- define "osh-lib.group-daemonsets" -}}
{{- $byGroup := .groupAnnotations | default dict -}}
{{- $access := include "osh-lib.pod-access" (dict "ctx" (required "osh-lib.group-daemonsets: ctx is required" .ctx)) -}}
{{- range $id, $hosts := .groups }}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ $.name }}-group-{{ $id }}
  labels:
    {{- $.labels | nindent 4 }}
    {{- include "osh-lib.node-group-label" $id | nindent 4 }}
  annotations:
    {{- include "osh-lib.hostname-annotation" $hosts | nindent 4 }}
spec:
  selector:
    matchLabels:
      {{- $.selector | nindent 6 }}
      {{- include "osh-lib.node-group-label" $id | nindent 6 }}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
  template:
    metadata:
      labels:
        {{- $.labels | nindent 8 }}
        {{- include "osh-lib.node-group-label" $id | nindent 8 }}
      {{- if or $.annotations (get $byGroup $id) }}
      annotations:
        {{- with $.annotations }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with get $byGroup $id }}
        {{- . | nindent 8 }}
        {{- end }}
      {{- end }}
    spec:
      {{- $access | nindent 6 }}
      {{- $.spec | nindent 6 }}
{{- end }}
{{- end -}}

{{/*
The environment of a container on a group's host: NODE_NAME (the Kubernetes
node name, which is the hostname of the region's hardware lists) for start
scripts and subPathExpr and, with "host" true, OS_DEFAULT__HOST, which
oslo.config reads as [DEFAULT] host before any config file: the service
takes its host from the node it runs on.

  env:
    {{- include "osh-lib.node-env" (dict "host" true) | nindent 4 }}
*/}}
{{- define "osh-lib.node-env" -}}
- name: NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
{{- if .host }}
- name: OS_DEFAULT__HOST
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
{{- end }}
{{- end -}}
