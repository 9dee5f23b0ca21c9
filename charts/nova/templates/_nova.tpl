{{/*
The region's hypervisors (global.hardware.hypervisors), checked: each entry
is a hostname string (kvm hypervisors) or a mapping with hostname
(osh-lib.hardware-entries), kind kvm (the default), vmware or ironic, and a
vmware entry has its vCenter settings. A mistake fails the render naming the
entry. Gives JSON {"hosts": {position: hostname}, "entries": {position:
mapping, kind filled in}} as osh-lib.hardware-entries does; read it with
fromJson.
*/}}
{{- define "nova.hypervisors" -}}
{{- $list := include "osh-lib.hardware-entries" (dict "ctx" . "key" "hypervisors" "what" "hypervisor") | fromJson -}}
{{- range $hv := $list.entries -}}
{{- $kind := $hv.kind | default "kvm" | toString -}}
{{- if not (has $kind (list "kvm" "vmware" "ironic")) -}}
{{- fail (printf "%s: kind %q is not one of kvm, vmware, ironic" $hv.where $kind) -}}
{{- end -}}
{{- if eq $kind "vmware" -}}
{{- range $key := list "host_ip" "host_username" "host_password" "cluster_name" -}}
{{- if not (dig "vmware" $key "" $hv) -}}
{{- fail (printf "%s: vmware.%s is required for kind vmware" $hv.where $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $hv "kind" $kind -}}
{{- end -}}
{{- toJson $list -}}
{{- end -}}

{{/* The URL the dashboard gives browsers for an instance console. */}}
{{- define "nova.novncproxy-url" -}}
{{- $host := .Values.ingress.novncproxy_host | default (include "osh-lib.public-host" (dict "ctx" . "service" "novncproxy")) -}}
{{- printf "https://%s/vnc_lite.html" $host -}}
{{- end -}}

{{/*
The Kolla config dir of one pod: the keys of a config Secret it needs, plus
its own config-<role>.json mounted as config.json where kolla_start reads it.

  include "nova.config-volume" (dict "secret" "nova-etc" "role" "api" "files" (list "nova.conf" "wsgi-nova-api.conf"))
*/}}
{{- define "nova.config-volume" -}}
- name: kolla-config
  secret:
    secretName: {{ .secret }}
    defaultMode: 0440
    items:
      {{- range .files }}
      - key: {{ . }}
        path: {{ . }}
      {{- end }}
      {{- range $key, $path := .renamed | default dict }}
      - key: {{ $key }}
        path: {{ $path }}
      {{- end }}
      - key: {{ printf "config-%s.json" .role }}
        path: config.json
{{- end -}}

{{- define "nova.config-volume-mount" -}}
- name: kolla-config
  mountPath: /var/lib/kolla/config_files
  readOnly: true
{{- end -}}

{{/* The nova group of the Kolla images. */}}
{{- define "nova.pod-security-context" -}}
fsGroup: 42436
{{- end -}}

{{/*
A control-plane Deployment: one Kolla container started through the image's
own entrypoint, with the nova-etc config of its role.

  include "nova.deployment" (dict "ctx" $ "component" "conductor" "image" "nova-conductor" "replicas" 1 "files" (list "nova.conf"))
Optional: "port" (container port number, named "api"), "probe" (HTTP path) and
"wait_keystone" (wait for the service user first: osh-lib.wait-keystone-user),
"wait_services" (and for these service types in its catalog).
Without "probe", the service is probed on its RabbitMQ connection
(osh-lib.rpc-probes, process nova-<component>).
*/}}
{{- define "nova.deployment" -}}
{{- $ctx := .ctx -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nova-{{ .component }}
  labels:
    {{- include "osh-lib.labels" (dict "ctx" $ctx "component" .component) | nindent 4 }}
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      {{- include "osh-lib.selector-labels" (dict "ctx" $ctx "component" .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "osh-lib.labels" (dict "ctx" $ctx "component" .component) | nindent 8 }}
      annotations:
        {{- include "osh-lib.checksums" (dict "ctx" $ctx "templates" (list "secret-etc.yaml")) | nindent 8 }}
    spec:
      {{- include "osh-lib.pod-access" (dict "ctx" $ctx) | nindent 6 }}
      securityContext:
        {{- include "nova.pod-security-context" $ctx | nindent 8 }}
      {{- if .wait_keystone }}
      initContainers:
        {{- include "osh-lib.wait-keystone-user" (dict "ctx" $ctx "image" .image "file" "nova.conf" "resources" .resources "services" .wait_services
              "mounts" (list (dict "name" "kolla-config" "mountPath" "/var/lib/kolla/config_files" "readOnly" true))) | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "osh-lib.image" (dict "ctx" $ctx "image" .image) }}
          imagePullPolicy: {{ include "osh-lib.image-pull-policy" (dict "ctx" $ctx) }}
          env:
            {{- include "osh-lib.kolla-env" $ctx | nindent 12 }}
          {{- if .port }}
          ports:
            - name: api
              containerPort: {{ .port }}
          {{- end }}
          {{- if .probe }}
          readinessProbe:
            httpGet:
              path: {{ .probe }}
              port: api
            initialDelaySeconds: 10
            periodSeconds: 10
            timeoutSeconds: 5
          # Slow first starts (a cold cache, a busy node) are the startup probe's:
          # liveness only begins once it has passed, and then restarts a hung process.
          startupProbe:
            httpGet:
              path: {{ .probe }}
              port: api
            periodSeconds: 10
            timeoutSeconds: 10
            failureThreshold: 60
          livenessProbe:
            httpGet:
              path: {{ .probe }}
              port: api
            periodSeconds: 30
            timeoutSeconds: 10
            failureThreshold: 5
          {{- else }}
          {{- include "osh-lib.rpc-probes" (dict "process" (printf "nova-%s" .component)) | nindent 10 }}
          {{- end }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          volumeMounts:
            {{- include "nova.config-volume-mount" . | nindent 12 }}
      volumes:
        {{- include "nova.config-volume" (dict "secret" "nova-etc" "role" .component "files" .files) | nindent 8 }}
{{- end -}}

{{/* The keys of the Secret nova-compute that every compute shares. */}}
{{- define "nova.compute-common-files" -}}
nova-compute.conf: |
  {{- tpl (.Files.Get "files/nova-compute.conf") . | trim | nindent 2 }}
libvirtd.conf: |
  {{- .Files.Get "files/libvirtd.conf" | trim | nindent 2 }}
qemu.conf: |
  {{- tpl (.Files.Get "files/qemu.conf") . | trim | nindent 2 }}
{{- range tuple "compute" "libvirt" }}
config-{{ . }}.json: |
  {{- $.Files.Get (printf "files/config-%s.json" .) | trim | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
The nova.conf part of one vmware or ironic hypervisor (.hypervisor), or of
every kvm hypervisor (a hypervisor without hostname): files/nova-compute-host.conf
rendered with the chart's context plus .Hypervisor.
*/}}
{{- define "nova.compute-host-conf" -}}
{{- $ctx := .ctx -}}
{{- tpl ($ctx.Files.Get "files/nova-compute-host.conf") (dict "Values" $ctx.Values "Release" $ctx.Release "Chart" $ctx.Chart "Files" $ctx.Files "Capabilities" $ctx.Capabilities "Template" $ctx.Template "Hypervisor" .hypervisor) -}}
{{- end -}}

{{/* The kvm hypervisors' own part of nova.conf, shared by all of them. */}}
{{- define "nova.kvm-conf" -}}
{{- include "nova.compute-host-conf" (dict "ctx" . "hypervisor" (dict "kind" "kvm")) -}}
{{- end -}}

{{/* Pod-template annotations of a vmware or ironic compute: the common config and its own. */}}
{{- define "nova.compute-checksums" -}}
checksum/secret-compute: {{ include "nova.compute-common-files" .ctx | sha256sum }}
checksum/host: {{ include "nova.compute-host-conf" . | sha256sum }}
{{- end -}}

{{/* Pod-template annotations of every kvm compute: the common config and the kvm part. */}}
{{- define "nova.kvm-checksums" -}}
checksum/secret-compute: {{ include "nova.compute-common-files" . | sha256sum }}
checksum/host: {{ include "nova.kvm-conf" . | sha256sum }}
{{- end -}}

{{/*
The kvm hypervisors in node groups (osh-lib.node-groups): JSON group id ->
hostnames. Each group is one compute and one libvirt DaemonSet.
*/}}
{{- define "nova.kvm-groups" -}}
{{- $list := include "nova.hypervisors" . | fromJson -}}
{{- $hosts := $list.hosts -}}
{{- range $at, $hv := $list.entries -}}
{{- if ne $hv.kind "kvm" -}}
{{- $_ := unset $hosts $at -}}
{{- end -}}
{{- end -}}
{{- include "osh-lib.node-groups" (dict "ctx" . "hosts" $hosts) -}}
{{- end -}}

{{/*
The value of the label openstack-helm.org/hostname, which tells one vmware
or ironic compute's Deployment apart in its selector: the node name when it
fits a label value (63 characters), else its first 54 characters and a hash
of the whole name.
*/}}
{{- define "nova.node-label" -}}
{{- if le (len .) 63 -}}
{{- . -}}
{{- else -}}
{{- printf "%s-%s" (trunc 54 . | trimSuffix "." | trimSuffix "-") (sha256sum . | trunc 8) -}}
{{- end -}}
{{- end -}}

{{/* Labels of one vmware or ironic compute Deployment. */}}
{{- define "nova.hypervisor-selector-labels" -}}
{{ include "osh-lib.selector-labels" (dict "ctx" .ctx "component" .component) }}
openstack-helm.org/hostname: {{ include "nova.node-label" .hypervisor.hostname | quote }}
{{- end -}}

{{- define "nova.hypervisor-labels" -}}
{{ include "osh-lib.labels" (dict "ctx" .ctx "component" .component) }}
openstack-helm.org/hostname: {{ include "nova.node-label" .hypervisor.hostname | quote }}
openstack-helm.org/hypervisor-kind: {{ .hypervisor.kind }}
{{- end -}}

{{/* The Kolla config dir of a vmware or ironic compute: the common file and its own. */}}
{{- define "nova.hypervisor-config-volume" -}}
{{- include "nova.config-volume" (dict "secret" "nova-compute" "role" "compute" "files" (list "nova-compute.conf") "renamed" (dict (printf "host-%s.conf" .hypervisor.hostname) "nova-compute-host.conf")) -}}
{{- end -}}

{{/* Host dirs that a kvm hypervisor's compute and libvirt pods share. */}}
{{- define "nova.hypervisor-host-volumes" -}}
- name: nova-state
  hostPath:
    path: /var/lib/nova
    type: DirectoryOrCreate
- name: libvirt-run
  hostPath:
    path: /run/libvirt
    type: DirectoryOrCreate
- name: libvirt-state
  hostPath:
    path: /var/lib/libvirt
    type: DirectoryOrCreate
- name: openvswitch-run
  hostPath:
    path: /run/openvswitch
    type: DirectoryOrCreate
- name: modules
  hostPath:
    path: /lib/modules
    type: Directory
- name: dev
  hostPath:
    path: /dev
    type: Directory
- name: cgroup
  hostPath:
    path: /sys/fs/cgroup
    type: Directory
{{- end -}}
