{{/*
The nodes that run agents, checked: global.hardware.network_agents (all
agents) and the kvm hosts of global.hardware.hypervisors (OVS agent and
openvswitch only). Each entry is a hostname string or a mapping with
hostname (osh-lib.hardware-entries); no hostname twice in one list;
optional tunnel_ip and external_interface. A host in both lists (a
converged node, as in a small region) runs one Open vSwitch and one OVS
agent, the network node's: it is left out of "hypervisor". A mistake fails
the render naming the entry. Gives JSON {"network": list,
"hypervisor": list}, each list as osh-lib.hardware-entries gives it ({"hosts",
"entries"}). With "networkOnly" true only the network nodes are read and
checked (the agents that run on them alone).

  include "neutron.nodes" (dict "ctx" $)
*/}}
{{- define "neutron.nodes" -}}
{{- $out := dict -}}
{{- $lists := dict "network" "network_agents" "hypervisor" "hypervisors" -}}
{{- if .networkOnly -}}
{{- $lists = dict "network" "network_agents" -}}
{{- end -}}
{{- range $species, $key := $lists -}}
{{- $list := include "osh-lib.hardware-entries" (dict "ctx" $.ctx "key" $key "what" (eq $species "network" | ternary "network node" "hypervisor") "seen" dict) | fromJson -}}
{{- range $at, $entry := $list.entries -}}
{{- with $entry.tunnel_ip -}}
{{- if not (regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$|^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$" (toString .)) -}}
{{- fail (printf "%s: tunnel_ip %q is not an IP address" $entry.where (toString .)) -}}
{{- end -}}
{{- end -}}
{{- with $entry.external_interface -}}
{{- if not (regexMatch "^[A-Za-z0-9_.:@-]{1,15}$" (toString .)) -}}
{{- fail (printf "%s: external_interface %q is not a network interface name (1 to 15 letters, digits or _.:@-)" $entry.where (toString .)) -}}
{{- end -}}
{{- end -}}
{{- if and (eq $species "hypervisor") (ne ($entry.kind | default "kvm") "kvm") -}}
{{- /* vmware and ironic computes plug no VIFs into a local Open vSwitch. */ -}}
{{- $_ := unset $list.hosts $at -}}
{{- $_ := unset $list.entries $at -}}
{{- end -}}
{{- end -}}
{{- $_ := set $out $species $list -}}
{{- end -}}
{{- with $out.hypervisor -}}
{{- $network := dict -}}
{{- range $out.network.hosts -}}{{- $_ := set $network . true -}}{{- end -}}
{{- range $at, $hostname := .hosts -}}
{{- if hasKey $network $hostname -}}
{{- $_ := unset $out.hypervisor.hosts $at -}}
{{- $_ := unset $out.hypervisor.entries $at -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
Whether the region runs Ironic: "true" when global.hardware.ironic_conductors
lists a host, else empty. The region's hardware lists are how a chart learns
what the others run (nova's ironic computes are hypervisors of kind ironic);
a bare-metal node is provisioned by a conductor host, so the conductor list
is Ironic's. With it neutron binds bare-metal ports (the ML2 baremetal
driver) and runs the ironic-neutron-agent, which reports each node's
physical networks. The ironic chart checks the entries; this reads the
hostnames only.

  {{- if include "neutron.ironic" $ }}
*/}}
{{- define "neutron.ironic" -}}
{{- $list := include "osh-lib.hardware-entries" (dict "ctx" . "key" "ironic_conductors" "what" "conductor host") | fromJson -}}
{{- if $list.hosts -}}true{{- end -}}
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
The agents' nodes in node groups (osh-lib.node-groups), per species: JSON
{"network": {group id: hostnames}, "hypervisor": {...}}. Each group is one
DaemonSet per agent of its species. Takes what neutron.nodes gives, read.

  include "neutron.node-groups" (dict "ctx" $ "nodes" $nodes)
*/}}
{{- define "neutron.node-groups" -}}
{{- $out := dict -}}
{{- range $species, $list := .nodes -}}
{{- $_ := set $out $species (include "osh-lib.node-groups" (dict "ctx" $.ctx "hosts" $list.hosts) | fromJson) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
The nodes' own settings for the OVS agent's start script (files/ovs-agent.sh),
one key=value per line: tunnel_ip and external_interface of the entries that
have them. JSON hostname -> text; nodes without settings are left out. Takes
what neutron.nodes gives, read.

  include "neutron.node-settings" $nodes
*/}}
{{- define "neutron.node-settings" -}}
{{- $out := dict -}}
{{- range $species, $list := . -}}
{{- range $node := $list.entries -}}
{{- $lines := list -}}
{{- range $key := list "tunnel_ip" "external_interface" -}}
{{- with get $node $key -}}
{{- $lines = append $lines (printf "%s=%s" $key (toString .)) -}}
{{- end -}}
{{- end -}}
{{- if $lines -}}
{{- $_ := set $out $node.hostname (printf "%s\n" (join "\n" $lines)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
A node's DaemonSet name: neutron-<component>-group-<id> on network nodes,
neutron-<component>-hypervisor-group-<id> on hypervisors (the base
placement policy tells the two apart by that name).
*/}}
{{- define "neutron.agent-name" -}}
{{- if eq .species "hypervisor" -}}
{{- printf "neutron-%s-hypervisor" .component -}}
{{- else -}}
{{- printf "neutron-%s" .component -}}
{{- end -}}
{{- end -}}

{{/* An agent's labels; the species is in the selector, so the two species' groups never share pods. */}}
{{- define "neutron.agent-selector-labels" -}}
{{ include "osh-lib.selector-labels" (dict "ctx" .ctx "component" .component) }}
openstack-helm.org/species: {{ .species }}
{{- end -}}

{{- define "neutron.agent-labels" -}}
{{ include "osh-lib.labels" (dict "ctx" .ctx "component" .component) }}
openstack-helm.org/species: {{ .species }}
{{- end -}}

{{/*
An agent's DaemonSets, one per node group of a species. The caller gives the
containers and volumes as YAML text; this adds what every agent has: the
config and start-up volumes, the checksum of the agents' config, and the
names, labels and hostname annotation of osh-lib.group-daemonsets.

  include "neutron.agent-daemonsets" (dict "ctx" $ "component" "l3-agent" "species" "network" "groups" $groups "hostNetwork" true "containers" $c "volumes" $v)
Optional: "groupAnnotations" (group id -> more pod template annotations).
*/}}
{{- define "neutron.agent-daemonsets" -}}
{{- $ctx := .ctx -}}
{{- $spec := include "neutron.agent-pod-spec" . -}}
{{- include "osh-lib.group-daemonsets" (dict
      "ctx" $ctx "name" (include "neutron.agent-name" .) "groups" .groups
      "labels" (include "neutron.agent-labels" .)
      "selector" (include "neutron.agent-selector-labels" .)
      "annotations" (include "osh-lib.checksums" (dict "ctx" $ctx "templates" (list "secret-agent.yaml" "configmap-bin.yaml")))
      "groupAnnotations" .groupAnnotations
      "spec" $spec) -}}
{{- end -}}

{{- define "neutron.agent-pod-spec" -}}
{{- if .hostNetwork -}}
hostNetwork: true
dnsPolicy: ClusterFirstWithHostNet
{{ end -}}
securityContext:
  {{- include "neutron.pod-security-context" .ctx | nindent 2 }}
containers:
  {{- .containers | nindent 2 }}
volumes:
  - name: kolla-config
    secret:
      secretName: neutron-agent
      defaultMode: 0440
  - name: bin
    configMap:
      name: neutron-bin
      defaultMode: 0555
  {{- .volumes | nindent 2 }}
{{- end -}}

{{/*
One Kolla container of an agent pod: started through the image's entrypoint,
its Kolla config dir is the Secret neutron-agent with its own
config-<role>.json as config.json (a subPath: the Secret is shared).
Probed on its RabbitMQ connection with "process" (an agent's process name),
or with the command "probe" (a list); neither: no probes.
*/}}
{{- define "neutron.agent-container" -}}
- name: {{ .role }}
  image: {{ include "osh-lib.image" (dict "ctx" .ctx "image" .image) }}
  imagePullPolicy: {{ include "osh-lib.image-pull-policy" (dict "ctx" .ctx) }}
  env:
    {{- include "osh-lib.kolla-env" .ctx | nindent 4 }}
    {{- include "osh-lib.node-env" (dict "host" true) | nindent 4 }}
    {{- with .env }}
    {{- . | nindent 4 }}
    {{- end }}
  {{- if .process }}
  {{- include "osh-lib.rpc-probes" (dict "process" .process) | nindent 2 }}
  {{- else if .probe }}
  {{- include "osh-lib.exec-probes" (dict "command" .probe) | nindent 2 }}
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

{{/*
Host dirs of the L3 and DHCP agents: namespaces and state. /var/lib/neutron
is the node's, shared with the metadata agent (its socket for the proxies
these agents start); their config.json has Kolla chown it to neutron, since
the kubelet creates it root-owned and fsGroup does not apply to hostPath.
*/}}
{{- define "neutron.netns-mounts" -}}
- name: netns
  mountPath: /run/netns
  mountPropagation: Bidirectional
- name: neutron-state
  mountPath: /var/lib/neutron
{{- with include "neutron.modules-mount" . }}
{{ . }}
{{- end }}
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
{{- with include "neutron.modules-volume" . }}
{{ . }}
{{- end }}
{{- end -}}

{{- define "neutron.openvswitch-volumes" -}}
- name: openvswitch-run
  hostPath:
    path: /run/openvswitch
    type: DirectoryOrCreate
{{- with include "neutron.modules-volume" . }}
{{ . }}
{{- end }}
{{- end -}}

{{- define "neutron.modules-volume" -}}
{{- if eq .Values.conf.datapath_type "system" -}}
- name: modules
  hostPath:
    path: /lib/modules
    type: Directory
{{- end -}}
{{- end -}}

{{/* The node's kernel modules, for the vswitchd image's modprobe (system datapath only). */}}
{{- define "neutron.modules-mount" -}}
{{- if eq .Values.conf.datapath_type "system" -}}
- name: modules
  mountPath: /lib/modules
  readOnly: true
{{- end -}}
{{- end -}}

{{/*
Where the agents reach the node's ovsdb-server. Not its UNIX socket: the
server runs as root and creates it root:root 0770, and the agents run as
neutron. The openvswitch pod also listens on the node's loopback (every OVS
client pod uses the host network), as kolla-ansible deployments do.
*/}}
{{- define "neutron.ovsdb-connection" -}}
tcp:127.0.0.1:6640
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
