{{/* The public URL: the Ingress host, barbican.<global.region.domain> unless ingress.host says otherwise. */}}
{{- define "barbican.public-url" -}}
{{- if .Values.ingress.host -}}
{{- printf "https://%s" .Values.ingress.host -}}
{{- else -}}
{{- include "osh-lib.public-url" (dict "ctx" . "service" "barbican") -}}
{{- end -}}
{{- end -}}
