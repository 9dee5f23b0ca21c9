{{/* The public host: the Ingress host, horizon.<global.region.domain> unless ingress.host says otherwise. */}}
{{- define "horizon.public-host" -}}
{{- .Values.ingress.host | default (include "osh-lib.public-host" (dict "ctx" . "service" "horizon")) -}}
{{- end -}}
