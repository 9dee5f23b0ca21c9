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
          {{- end }}
          resources:
            {{- toYaml $ctx.Values.resources.service | nindent 12 }}
          volumeMounts:
            - name: kolla-config
              mountPath: /var/lib/kolla/config_files
              readOnly: true
      volumes:
        {{- include "designate.config-volume" (dict "role" .component "rndc" (and (eq .component "worker") $ctx.Values.pool.bind9_servers)) | nindent 8 }}
{{- end -}}
