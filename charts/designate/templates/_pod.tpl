{{/*
Pieces of every designate pod. The Kolla config dir holds designate.conf,
pools.yaml, the rndc key (when the region has one) and this pod's own
config-<role>.json, mounted as config.json where kolla_start reads it.

  include "designate.config-volume" (dict "role" "api")
*/}}
{{- define "designate.config-volume" -}}
- name: kolla-config
  secret:
    secretName: designate-etc
    defaultMode: 0440
    items:
      - key: designate.conf
        path: designate.conf
      - key: pools.yaml
        path: pools.yaml
      {{- if .rndc }}
      - key: rndc.key
        path: rndc.key
      {{- end }}
      - key: {{ printf "config-%s.json" .role }}
        path: config.json
{{- end -}}

{{/* The designate user and group of the Kolla image. */}}
{{- define "designate.pod-security-context" -}}
fsGroup: 42411
{{- end -}}

{{/*
A Deployment of one service without an HTTP API (central, worker, producer,
mdns): kolla_start runs the command of config-<role>.json. "ports" is an
optional list of container ports; the first one is probed over TCP.

  include "designate.service-deployment" (dict "ctx" $ "component" "worker" "image" .Values.images.worker "replicas" .Values.replicas.worker)
*/}}
{{- define "designate.service-deployment" -}}
{{- $ctx := .ctx -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: designate-{{ .component }}
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
        {{- include "designate.pod-security-context" . | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ include "osh-lib.image" (dict "ctx" $ctx "image" .image) }}
          imagePullPolicy: {{ include "osh-lib.image-pull-policy" (dict "ctx" $ctx) }}
          env:
            {{- include "osh-lib.kolla-env" . | nindent 12 }}
          {{- with .ports }}
          ports:
            {{- toYaml . | nindent 12 }}
          readinessProbe:
            tcpSocket:
              port: {{ (first .).name }}
            initialDelaySeconds: 10
            periodSeconds: 10
          # Slow first starts (a cold cache, a busy node) are the startup probe's:
          # liveness only begins once it has passed, and then restarts a hung process.
          startupProbe:
            tcpSocket:
              port: {{ (first .).name }}
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 60
          livenessProbe:
            tcpSocket:
              port: {{ (first .).name }}
            periodSeconds: 30
            failureThreshold: 5
          {{- else }}
          {{- include "osh-lib.rpc-probes" (dict "process" (printf "designate-%s" .component)) | nindent 10 }}
          {{- end }}
          resources:
            {{- toYaml $ctx.Values.resources.service | nindent 12 }}
          volumeMounts:
            - name: kolla-config
              mountPath: /var/lib/kolla/config_files
              readOnly: true
      volumes:
        {{- include "designate.config-volume" (dict "role" .component "rndc" (and (eq .component "worker") (include "designate.bind9-servers" $ctx | fromJsonArray))) | nindent 8 }}
{{- end -}}

{{/*
The pool's BIND 9 servers, as JSON: pool.bind9_servers, then this chart's own
server (bind9.enabled) at its fixed ClusterIP.
*/}}
{{- define "designate.bind9-servers" -}}
{{- $servers := .Values.pool.bind9_servers | default list -}}
{{- if .Values.bind9.enabled -}}
{{- $ip := include "osh-lib.required" (dict "key" "designate.bind9.cluster_ip" "value" .Values.bind9.cluster_ip) -}}
{{- $servers = append $servers (dict "host" $ip) -}}
{{- end -}}
{{- toJson $servers -}}
{{- end -}}

{{/* The address the BIND 9 servers transfer zones from: pool.mdns_address, else mdns.cluster_ip. */}}
{{- define "designate.mdns-address" -}}
{{- .Values.pool.mdns_address | default .Values.mdns.cluster_ip -}}
{{- end -}}
