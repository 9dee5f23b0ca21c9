{{/*
The Kolla config dir of one placement pod: placement.conf, the Apache site
and this pod's own config-<role>.json, mounted as config.json where
kolla_start reads it.

  include "placement.config-volume" (dict "role" "api")
*/}}
{{- define "placement.config-volume" -}}
- name: kolla-config
  secret:
    secretName: placement-etc
    defaultMode: 0440
    items:
      - key: placement.conf
        path: placement.conf
      - key: wsgi-placement-api.conf
        path: wsgi-placement-api.conf
      - key: {{ printf "config-%s.json" .role }}
        path: config.json
{{- end -}}

{{/* The placement group of the Kolla images. */}}
{{- define "placement.pod-security-context" -}}
fsGroup: 42482
{{- end -}}
