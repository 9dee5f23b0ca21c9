{{/*
The region's hypervisors (global.hardware.hypervisors), checked: every entry
names its node in hostname (a Kubernetes node name), no hostname twice, kind
kvm (the default), vmware or ironic, and a vmware entry has its vCenter
settings. A mistake fails the render naming the entry. Gives a JSON list of
the entries with kind filled in; read it with fromJsonArray.

  {{- range include "nova.hypervisors" . | fromJsonArray }}
*/}}
{{- define "nova.hypervisors" -}}
{{- $seen := dict -}}
{{- $out := list -}}
{{- $list := dig "hardware" "hypervisors" list (.Values.global | default dict) -}}
{{- if not (kindIs "slice" $list) -}}
{{- fail (printf "global.hardware.hypervisors: must be a list of {hostname, kind}, not %s" (kindOf $list)) -}}
{{- end -}}
{{- range $i, $hv := $list -}}
{{- $where := printf "global.hardware.hypervisors[%d]" $i -}}
{{- if not (kindIs "map" $hv) -}}
{{- fail (printf "%s: must be a mapping with hostname and kind, not %v" $where $hv) -}}
{{- end -}}
{{- $hostname := $hv.hostname | default "" | toString -}}
{{- if not $hostname -}}
{{- fail (printf "%s: hostname is required (the Kubernetes node name of this hypervisor)" $where) -}}
{{- end -}}
{{- $where = printf "%s (hostname %s)" $where $hostname -}}
{{- if or (gt (len $hostname) 200) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" $hostname)) -}}
{{- fail (printf "%s: hostname is not a Kubernetes node name (a lowercase DNS name of at most 200 characters)" $where) -}}
{{- end -}}
{{- if hasKey $seen $hostname -}}
{{- fail (printf "%s: duplicate hostname, already global.hardware.hypervisors[%v]" $where (get $seen $hostname)) -}}
{{- end -}}
{{- $_ := set $seen $hostname $i -}}
{{- $kind := $hv.kind | default "kvm" | toString -}}
{{- if not (has $kind (list "kvm" "vmware" "ironic")) -}}
{{- fail (printf "%s: kind %q is not one of kvm, vmware, ironic" $where $kind) -}}
{{- end -}}
{{- if eq $kind "vmware" -}}
{{- range $key := list "host_ip" "host_username" "host_password" "cluster_name" -}}
{{- if not (dig "vmware" $key "" $hv) -}}
{{- fail (printf "%s: vmware.%s is required for kind vmware" $where $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $out = append $out (merge (dict "hostname" $hostname "kind" $kind "index" $i) $hv) -}}
{{- end -}}
{{- toJson $out -}}
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
Optional: "port" (container port number, named "api") and "probe" (HTTP path).
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
      securityContext:
        {{- include "nova.pod-security-context" $ctx | nindent 8 }}
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
          livenessProbe:
            httpGet:
              path: {{ .probe }}
              port: api
            initialDelaySeconds: 60
            periodSeconds: 30
            timeoutSeconds: 10
            failureThreshold: 5
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
  {{- .Files.Get "files/qemu.conf" | trim | nindent 2 }}
{{- range tuple "compute" "libvirt" }}
config-{{ . }}.json: |
  {{- $.Files.Get (printf "files/config-%s.json" .) | trim | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
One hypervisor's own nova.conf part: files/nova-compute-host.conf rendered
with the chart's context plus .Hypervisor.
*/}}
{{- define "nova.compute-host-conf" -}}
{{- $ctx := .ctx -}}
{{- tpl ($ctx.Files.Get "files/nova-compute-host.conf") (dict "Values" $ctx.Values "Release" $ctx.Release "Chart" $ctx.Chart "Files" $ctx.Files "Capabilities" $ctx.Capabilities "Template" $ctx.Template "Hypervisor" .hypervisor) -}}
{{- end -}}

{{/* Pod-template annotations of one hypervisor's pods: the common config and its own. */}}
{{- define "nova.compute-checksums" -}}
checksum/secret-compute: {{ include "nova.compute-common-files" .ctx | sha256sum }}
checksum/host: {{ include "nova.compute-host-conf" . | sha256sum }}
{{- end -}}

{{/*
The value of the label openstack-helm.org/hostname, which tells one hypervisor's
workloads apart in their selectors: the node name when it fits a label value
(63 characters), else its first 54 characters and a hash of the whole name.
*/}}
{{- define "nova.node-label" -}}
{{- if le (len .) 63 -}}
{{- . -}}
{{- else -}}
{{- printf "%s-%s" (trunc 54 . | trimSuffix "." | trimSuffix "-") (sha256sum . | trunc 8) -}}
{{- end -}}
{{- end -}}

{{/* Labels of one hypervisor's workload of the given component. */}}
{{- define "nova.hypervisor-selector-labels" -}}
{{ include "osh-lib.selector-labels" (dict "ctx" .ctx "component" .component) }}
openstack-helm.org/hostname: {{ include "nova.node-label" .hypervisor.hostname | quote }}
{{- end -}}

{{- define "nova.hypervisor-labels" -}}
{{ include "osh-lib.labels" (dict "ctx" .ctx "component" .component) }}
openstack-helm.org/hostname: {{ include "nova.node-label" .hypervisor.hostname | quote }}
openstack-helm.org/hypervisor-kind: {{ .hypervisor.kind }}
{{- end -}}

{{/* The Kolla config dir of one hypervisor's compute or libvirt pod. */}}
{{- define "nova.hypervisor-config-volume" -}}
{{- if eq .role "compute" -}}
{{- include "nova.config-volume" (dict "secret" "nova-compute" "role" "compute" "files" (list "nova-compute.conf") "renamed" (dict (printf "host-%s.conf" .hypervisor.hostname) "nova-compute-host.conf")) -}}
{{- else -}}
{{- include "nova.config-volume" (dict "secret" "nova-compute" "role" "libvirt" "files" (list "libvirtd.conf" "qemu.conf")) -}}
{{- end -}}
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
