{{/* The public URL: the Ingress host, manila.<global.region.domain> unless ingress.host says otherwise. */}}
{{- define "manila.public-url" -}}
{{- if .Values.ingress.host -}}
{{- printf "https://%s" .Values.ingress.host -}}
{{- else -}}
{{- include "osh-lib.public-url" (dict "ctx" . "service" "manila") -}}
{{- end -}}
{{- end -}}
