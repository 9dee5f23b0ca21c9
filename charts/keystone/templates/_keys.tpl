{{/*
A Secret of keystone key files (fernet or credential): one key per index,
from a region value. At least two keys (a staged 0 and a primary), so that
a missing value fails here, naming the key, not in a crash-looping pod.

  include "keystone.key-secret" (dict "ctx" $ "name" "keystone-fernet-keys" "value" "fernet_keys")
*/}}
{{- define "keystone.key-secret" -}}
{{- $keys := get .ctx.Values .value | default dict -}}
{{- if lt (len $keys) 2 -}}
{{- fail (printf "value openstack.keystone.%s is required: at least two keys (0: staged, 1: primary), set them in the region chart's values (charts/<region>/values.yaml)" .value) -}}
{{- end -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .name }}
  labels:
    {{- include "osh-lib.labels" (dict "ctx" .ctx "component" "api") | nindent 4 }}
type: Opaque
stringData:
  {{- range $index, $key := $keys }}
  {{ $index | quote }}: {{ $key | quote }}
  {{- end }}
{{- end -}}
