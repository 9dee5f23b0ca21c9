{{/* The public URL: the Ingress host, designate.<global.region.domain> unless ingress.host says otherwise. */}}
{{- define "designate.public-url" -}}
{{- if .Values.ingress.host -}}
{{- printf "https://%s" .Values.ingress.host -}}
{{- else -}}
{{- include "osh-lib.public-url" (dict "ctx" . "service" "designate") -}}
{{- end -}}
{{- end -}}
