{{/*
The Kolla config dir of one keystone pod: keystone.conf, the Apache site and
this pod's own config-<role>.json, mounted as config.json where kolla_start
reads it.

  include "keystone.config-volume" (dict "role" "api")
*/}}
{{- define "keystone.config-volume" -}}
- name: kolla-config
  secret:
    secretName: keystone-etc
    defaultMode: 0440
    items:
      - key: keystone.conf
        path: keystone.conf
      - key: wsgi-keystone.conf
        path: wsgi-keystone.conf
      - key: {{ printf "config-%s.json" .role }}
        path: config.json
{{- end -}}

{{- define "keystone.key-volumes" -}}
- name: fernet-keys
  secret:
    secretName: keystone-fernet-keys
    defaultMode: 0440
- name: credential-keys
  secret:
    secretName: keystone-credential-keys
    defaultMode: 0440
{{- end -}}

{{- define "keystone.key-volume-mounts" -}}
- name: fernet-keys
  mountPath: /etc/keystone/fernet-keys
  readOnly: true
- name: credential-keys
  mountPath: /etc/keystone/credential-keys
  readOnly: true
{{- end -}}

{{/* The keystone user and group of the Kolla image. */}}
{{- define "keystone.pod-security-context" -}}
fsGroup: 42425
{{- end -}}
