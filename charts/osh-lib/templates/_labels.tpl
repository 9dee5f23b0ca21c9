{{/*
Standard labels. Every object of every chart carries them; the post-renderer
selects workloads by app.kubernetes.io/name and app.kubernetes.io/component.

  include "osh-lib.labels" (dict "ctx" $ "component" "api")
  include "osh-lib.labels" (dict "ctx" $ "component" "api" "name" "keystone")

"name" defaults to the chart name, which is the service name.
*/}}
{{- define "osh-lib.labels" -}}
{{ include "osh-lib.selector-labels" . }}
app.kubernetes.io/part-of: openstack
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
The subset of the standard labels that never changes during a release's life:
use it for selectors, which are immutable on Deployments and StatefulSets.
*/}}
{{- define "osh-lib.selector-labels" -}}
app.kubernetes.io/name: {{ .name | default .ctx.Chart.Name }}
app.kubernetes.io/component: {{ required "osh-lib.labels: component is required" .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end -}}
