{{/*
Pieces of every manila pod. The Kolla config dir holds manila.conf and this
pod's own config-<role>.json, mounted as config.json where kolla_start reads
it (a share service also gets its own files).

  include "manila.config-volume" (dict "role" "api")
*/}}
{{- define "manila.config-volume" -}}
- name: kolla-config
  secret:
    secretName: manila-etc
    defaultMode: 0440
    items:
      - key: manila.conf
        path: manila.conf
      - key: {{ printf "config-%s.json" .role }}
        path: config.json
      {{- range $key, $path := .extra }}
      - key: {{ $key }}
        path: {{ $path }}
      {{- end }}
{{- end -}}

{{/* The manila user and group of the Kolla image. */}}
{{- define "manila.pod-security-context" -}}
fsGroup: 42429
{{- end -}}

{{/*
A Deployment of one RPC service (scheduler): no port, no
probe the service offers; kolla_start runs the command of config-<role>.json.

  include "manila.service-deployment" (dict "ctx" $ "component" "scheduler" "image" .Values.images.scheduler "replicas" .Values.replicas.scheduler)
*/}}
{{- define "manila.service-deployment" -}}
{{- $ctx := .ctx -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: manila-{{ .component }}
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
        {{- include "manila.pod-security-context" . | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ include "osh-lib.image" (dict "ctx" $ctx "image" .image) }}
          imagePullPolicy: {{ include "osh-lib.image-pull-policy" (dict "ctx" $ctx) }}
          env:
            {{- include "osh-lib.kolla-env" . | nindent 12 }}
          {{- include "osh-lib.rpc-probes" (dict "process" (printf "manila-%s" .component)) | nindent 10 }}
          resources:
            {{- toYaml $ctx.Values.resources.service | nindent 12 }}
          volumeMounts:
            - name: kolla-config
              mountPath: /var/lib/kolla/config_files
              readOnly: true
      volumes:
        {{- include "manila.config-volume" (dict "role" .component) | nindent 8 }}
{{- end -}}
