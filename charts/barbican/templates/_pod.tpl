{{/*
Pieces of every barbican pod. The Kolla config dir holds barbican.conf, the
API's uWSGI vassal and this pod's own config-<role>.json, mounted as
config.json where kolla_start reads it.

  include "barbican.config-volume" (dict "role" "api")
*/}}
{{- define "barbican.config-volume" -}}
- name: kolla-config
  secret:
    secretName: barbican-etc
    defaultMode: 0440
    items:
      - key: barbican.conf
        path: barbican.conf
      - key: barbican-api.ini
        path: barbican-api.ini
      - key: {{ printf "config-%s.json" .role }}
        path: config.json
{{- end -}}

{{/* The barbican user and group of the Kolla image. */}}
{{- define "barbican.pod-security-context" -}}
fsGroup: 42403
{{- end -}}

{{/*
A Deployment of one RPC service (worker, keystone-listener): no port, no
probe the service offers; kolla_start runs the command of config-<role>.json.

  include "barbican.service-deployment" (dict "ctx" $ "component" "worker" "image" .Values.images.worker "replicas" .Values.replicas.worker)
*/}}
{{- define "barbican.service-deployment" -}}
{{- $ctx := .ctx -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: barbican-{{ .component }}
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
        {{- include "barbican.pod-security-context" . | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ include "osh-lib.image" (dict "ctx" $ctx "image" .image) }}
          imagePullPolicy: {{ include "osh-lib.image-pull-policy" (dict "ctx" $ctx) }}
          env:
            {{- include "osh-lib.kolla-env" . | nindent 12 }}
          {{- include "osh-lib.rpc-probes" (dict "process" (printf "barbican-%s" .component)) | nindent 10 }}
          resources:
            {{- toYaml $ctx.Values.resources.service | nindent 12 }}
          volumeMounts:
            - name: kolla-config
              mountPath: /var/lib/kolla/config_files
              readOnly: true
      volumes:
        {{- include "barbican.config-volume" (dict "role" .component) | nindent 8 }}
{{- end -}}
