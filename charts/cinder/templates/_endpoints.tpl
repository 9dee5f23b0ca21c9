{{/* The public URL: the Ingress host, cinder.<global.region.domain> unless ingress.host says otherwise. */}}
{{- define "cinder.public-url" -}}
{{- if .Values.ingress.host -}}
{{- printf "https://%s" .Values.ingress.host -}}
{{- else -}}
{{- include "osh-lib.public-url" (dict "ctx" . "service" "cinder") -}}
{{- end -}}
{{- end -}}
