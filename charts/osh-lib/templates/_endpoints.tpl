{{/*
Endpoints. The public host of a service is <service>.<global.region.domain>,
served by the Ingress with TLS; the internal URL is the in-cluster Service.

  include "osh-lib.public-host" (dict "ctx" $ "service" "keystone")
  include "osh-lib.public-url" (dict "ctx" $ "service" "keystone")
  include "osh-lib.internal-url" (dict "ctx" $ "service" "keystone" "port" 5000)
*/}}
{{- define "osh-lib.domain" -}}
{{- include "osh-lib.required" (dict "key" "global.region.domain" "value" (dig "region" "domain" "" .ctx.Values.global)) -}}
{{- end -}}

{{- define "osh-lib.region-name" -}}
{{- include "osh-lib.required" (dict "key" "global.region.name" "value" (dig "region" "name" "" .ctx.Values.global)) -}}
{{- end -}}

{{- define "osh-lib.public-host" -}}
{{- printf "%s.%s" .service (include "osh-lib.domain" .) -}}
{{- end -}}

{{- define "osh-lib.public-url" -}}
{{- printf "https://%s%s" (include "osh-lib.public-host" .) (.path | default "") -}}
{{- end -}}

{{- define "osh-lib.internal-url" -}}
{{- printf "http://%s-api.%s.svc:%v%s" .service .ctx.Release.Namespace .port (.path | default "") -}}
{{- end -}}
