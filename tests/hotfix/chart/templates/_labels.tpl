{{- define "hotfix-e2e.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}
{{- define "hotfix-e2e.release-labels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: openstack
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
{{- define "hotfix-e2e.kolla" -}}
{{ .Values.image.registry }}/{{ .image }}:{{ .Values.image.tag }}
{{- end -}}
