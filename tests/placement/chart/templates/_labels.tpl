{{- define "e2e.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/instance: {{ .instance | default .root.Release.Name }}
app.kubernetes.io/part-of: openstack
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}
