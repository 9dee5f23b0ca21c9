{{/*
The Kolla config dir of one glance pod: glance-api.conf and this pod's own
config-<role>.json, mounted as config.json where kolla_start reads it.

  include "glance.config-volume" (dict "role" "api")
*/}}
{{- define "glance.config-volume" -}}
- name: kolla-config
  secret:
    secretName: glance-etc
    defaultMode: 0440
    items:
      - key: glance-api.conf
        path: glance-api.conf
      - key: {{ printf "config-%s.json" .role }}
        path: config.json
{{- end -}}

{{/* The glance user and group of the Kolla image. */}}
{{- define "glance.pod-security-context" -}}
fsGroup: 42415
{{- end -}}
