{{/*
A value the region must provide (rule 3 or 4: sensitive, or the region's own).
Fails the render with a message that names the key as the operator writes it.

  include "osh-lib.required" (dict "key" "global.keystone.admin_password" "value" $pw)
*/}}
{{- define "osh-lib.required" -}}
{{- required (printf "value %s is required: set it in the region chart's values (charts/<region>/values.yaml)" .key) .value -}}
{{- end -}}
