{{/*
Start-up of a Kolla container through the hot-fix script (the ConfigMap
osh-start, rendered by the openstack chart from files/osh-start.sh): the
script applies every /<component>-patches/*.patch, then execs the real
command. Use all three helpers in every Kolla service container:

  containers:
    - name: api
      {{- include "osh-lib.startup-command" (dict "args" (list "kolla_start")) | nindent 6 }}
      volumeMounts:
        {{- include "osh-lib.startup-volume-mount" . | nindent 8 }}
  volumes:
    {{- include "osh-lib.startup-volume" . | nindent 4 }}
*/}}
{{- define "osh-lib.startup-command" -}}
command:
  - /bin/sh
  - /var/lib/osh/start/osh-start.sh
args:
{{- range .args }}
  - {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "osh-lib.startup-volume-mount" -}}
- name: osh-start
  mountPath: /var/lib/osh/start
  readOnly: true
{{- end -}}

{{- define "osh-lib.startup-volume" -}}
- name: osh-start
  configMap:
    name: osh-start
    defaultMode: 0555
{{- end -}}

{{/*
Environment every Kolla container needs: kolla_start copies the files listed
in /var/lib/kolla/config_files/config.json into place on each start.
*/}}
{{- define "osh-lib.kolla-env" -}}
- name: KOLLA_CONFIG_STRATEGY
  value: COPY_ALWAYS
{{- end -}}
