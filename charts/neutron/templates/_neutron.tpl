{{/*
The nodes that run agents, checked: global.hardware.network_agents (all
agents) and the kvm entries of global.hardware.hypervisors (OVS agent and
openvswitch only). Every entry names its node in hostname (a Kubernetes node
name), no hostname twice in a list or in both lists (a node has one
species), and an optional tunnel_ip. A mistake fails the render naming the
entry. Gives JSON {"network": [...], "hypervisor": [...]}.
*/}}
{{- define "neutron.nodes" -}}
{{- $global := .Values.global | default dict -}}
{{- $seen := dict -}}
{{- $out := dict "network" list "hypervisor" list -}}
{{- range $species, $list := dict "network" (dig "hardware" "network_agents" list $global) "hypervisor" (dig "hardware" "hypervisors" list $global) -}}
{{- $path := eq $species "network" | ternary "global.hardware.network_agents" "global.hardware.hypervisors" -}}
{{- if not (kindIs "slice" $list) -}}
{{- fail (printf "%s: must be a list of {hostname, ...}, not %s" $path (kindOf $list)) -}}
{{- end -}}
{{- range $i, $entry := $list -}}
{{- $where := printf "%s[%d]" $path $i -}}
{{- if not (kindIs "map" $entry) -}}
{{- fail (printf "%s: must be a mapping with hostname, not %v" $where $entry) -}}
{{- end -}}
{{- $hostname := $entry.hostname | default "" | toString -}}
{{- if not $hostname -}}
{{- fail (printf "%s: hostname is required (the Kubernetes node name)" $where) -}}
{{- end -}}
{{- $where = printf "%s (hostname %s)" $where $hostname -}}
{{- if or (gt (len $hostname) 200) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" $hostname)) -}}
{{- fail (printf "%s: hostname is not a Kubernetes node name (a lowercase DNS name of at most 200 characters)" $where) -}}
{{- end -}}
{{- if hasKey $seen $hostname -}}
{{- fail (printf "%s: duplicate hostname, already %s (a node runs one set of agents)" $where (get $seen $hostname)) -}}
{{- end -}}
{{- $_ := set $seen $hostname (printf "%s[%d]" $path $i) -}}
{{- with $entry.tunnel_ip -}}
{{- if not (regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$|^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$" (toString .)) -}}
{{- fail (printf "%s: tunnel_ip %q is not an IP address" $where (toString .)) -}}
{{- end -}}
{{- end -}}
{{- if or (eq $species "network") (eq ($entry.kind | default "kvm") "kvm") -}}
{{- $_ := set $out $species (append (get $out $species) (merge (dict "hostname" $hostname "species" $species) $entry)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* physnet:bridge,... of conf.bridge_mappings, sorted. */}}
{{- define "neutron.bridge-mappings" -}}
{{- $pairs := list -}}
{{- range $physnet, $bridge := .Values.conf.bridge_mappings -}}
{{- $pairs = append $pairs (printf "%s:%s" $physnet $bridge) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/*
The value of the label openstack-helm.org/hostname, which tells one node's
workloads apart in their selectors: the hostname when it fits a label value
(63 characters), else its first 54 characters and a hash of the whole name.
*/}}
{{- define "neutron.node-label" -}}
{{- if le (len .) 63 -}}
{{- . -}}
{{- else -}}
{{- printf "%s-%s" (trunc 54 . | trimSuffix "." | trimSuffix "-") (sha256sum . | trunc 8) -}}
{{- end -}}
{{- end -}}

{{/*
A node's workload name: neutron-<component>-<hostname> on network nodes,
neutron-<component>-hypervisor-<hostname> on hypervisors (the base
placement policy tells the two apart by that name).
*/}}
{{- define "neutron.agent-name" -}}
{{- if eq .node.species "hypervisor" -}}
{{- printf "neutron-%s-hypervisor-%s" .component .node.hostname -}}
{{- else -}}
{{- printf "neutron-%s-%s" .component .node.hostname -}}
{{- end -}}
{{- end -}}

{{- define "neutron.agent-selector-labels" -}}
{{ include "osh-lib.selector-labels" (dict "ctx" .ctx "component" .component) }}
openstack-helm.org/hostname: {{ include "neutron.node-label" .node.hostname | quote }}
{{- end -}}

{{- define "neutron.agent-labels" -}}
{{ include "osh-lib.labels" (dict "ctx" .ctx "component" .component) }}
openstack-helm.org/hostname: {{ include "neutron.node-label" .node.hostname | quote }}
openstack-helm.org/species: {{ .node.species }}
{{- end -}}

{{/*
One node's agent DaemonSet. The caller gives the containers and volumes as
YAML text; this adds what every agent has: labels, the hostname annotation
that placement pins by, the checksum of the agents' config, the config and
start-up volumes.

  include "neutron.agent-daemonset" (dict "ctx" $ "component" "l3-agent" "node" $node "hostNetwork" true "containers" $c "volumes" $v)
*/}}
{{- define "neutron.agent-daemonset" -}}
{{- $ctx := .ctx -}}
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ include "neutron.agent-name" . }}
  labels:
    {{- include "neutron.agent-labels" . | nindent 4 }}
  annotations:
    placement.openstack-helm.org/hostname: {{ .node.hostname | quote }}
spec:
  selector:
    matchLabels:
      {{- include "neutron.agent-selector-labels" . | nindent 6 }}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 1
  template:
    metadata:
      labels:
        {{- include "neutron.agent-labels" . | nindent 8 }}
      annotations:
        {{- include "osh-lib.checksums" (dict "ctx" $ctx "templates" (list "secret-agent.yaml" "configmap-bin.yaml")) | nindent 8 }}
    spec:
      {{- if .hostNetwork }}
      hostNetwork: true
      dnsPolicy: ClusterFirstWithHostNet
      {{- end }}
      securityContext:
        {{- include "neutron.pod-security-context" $ctx | nindent 8 }}
      containers:
        {{- .containers | nindent 8 }}
      volumes:
        - name: kolla-config
          secret:
            secretName: neutron-agent
            defaultMode: 0440
        - name: bin
          configMap:
            name: neutron-bin
            defaultMode: 0555
        {{- .volumes | nindent 8 }}
{{- end -}}

{{/*
One Kolla container of an agent pod: started through the image's entrypoint,
its Kolla config dir is the Secret neutron-agent with its own
config-<role>.json as config.json (a subPath: the Secret is shared).
*/}}
{{- define "neutron.agent-container" -}}
- name: {{ .role }}
  image: {{ include "osh-lib.image" (dict "ctx" .ctx "image" .image) }}
  imagePullPolicy: {{ include "osh-lib.image-pull-policy" (dict "ctx" .ctx) }}
  env:
    {{- include "osh-lib.kolla-env" .ctx | nindent 4 }}
    {{- with .env }}
    {{- . | nindent 4 }}
    {{- end }}
  {{- if .privileged }}
  securityContext:
    privileged: true
  {{- end }}
  resources:
    {{- toYaml .ctx.Values.resources.agents | nindent 4 }}
  volumeMounts:
    {{- range .files }}
    - name: kolla-config
      mountPath: /var/lib/kolla/config_files/{{ . }}
      subPath: {{ . }}
      readOnly: true
    {{- end }}
    - name: kolla-config
      mountPath: /var/lib/kolla/config_files/config.json
      subPath: config-{{ .role }}.json
      readOnly: true
    - name: bin
      mountPath: /var/lib/osh/bin
      readOnly: true
    {{- with .mounts }}
    {{- . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* The neutron group of the Kolla images. */}}
{{- define "neutron.pod-security-context" -}}
fsGroup: 42435
{{- end -}}

{{/* Host dirs of the L3 and DHCP agents: namespaces, state and Open vSwitch. */}}
{{- define "neutron.netns-mounts" -}}
- name: netns
  mountPath: /run/netns
  mountPropagation: Bidirectional
- name: neutron-state
  mountPath: /var/lib/neutron
- name: openvswitch-run
  mountPath: /run/openvswitch
- name: modules
  mountPath: /lib/modules
  readOnly: true
{{- end -}}

{{- define "neutron.netns-volumes" -}}
- name: netns
  hostPath:
    path: /run/netns
    type: DirectoryOrCreate
- name: neutron-state
  hostPath:
    path: /var/lib/neutron
    type: DirectoryOrCreate
{{ include "neutron.openvswitch-volumes" . }}
{{- end -}}

{{- define "neutron.openvswitch-volumes" -}}
- name: openvswitch-run
  hostPath:
    path: /run/openvswitch
    type: DirectoryOrCreate
- name: modules
  hostPath:
    path: /lib/modules
    type: Directory
{{- end -}}

{{/* The Kolla config dir of the server and db-sync pods. */}}
{{- define "neutron.server-config-volume" -}}
- name: kolla-config
  secret:
    secretName: neutron-etc
    defaultMode: 0440
    items:
      - key: neutron.conf
        path: neutron.conf
      - key: ml2_conf.ini
        path: ml2_conf.ini
      - key: {{ printf "config-%s.json" .role }}
        path: config.json
{{- end -}}
