{{/*
Checksum annotations for a pod template: one per template file whose content
the pods consume (config Secrets, ConfigMaps), so that a change rolls them.

  annotations:
    {{- include "osh-lib.checksums" (dict "ctx" $ "templates" (list "secret-etc.yaml")) | nindent 4 }}
*/}}
{{- define "osh-lib.checksums" -}}
{{- $ctx := .ctx -}}
{{- $lines := list -}}
{{- range .templates -}}
{{- $lines = append $lines (printf "checksum/%s: %s" (trimSuffix ".yaml" .) (include (print $ctx.Template.BasePath "/" .) $ctx | sha256sum)) -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}

{{/*
A Job name that changes with its inputs: a Job's pod template is immutable,
so a Job whose image or config changed must be a new Job. Helm deletes the
old one on upgrade, as it is no longer in the release. The chart's version
is an input too: a new chart version may change the pod template itself
(a volume, an environment variable), and Helm would otherwise fail the
upgrade on the immutable field. So are the pod-access globals
(osh-lib.pod-access), which every Job's pod spec includes.

  name: {{ include "osh-lib.job-name" (dict "ctx" $ "name" "keystone-db-sync" "inputs" (list $image $conf)) }}
*/}}
{{- define "osh-lib.job-name" -}}
{{- $inputs := concat .inputs (list (.ctx.Chart.Version | default "") (include "osh-lib.pod-access" (dict "ctx" .ctx))) -}}
{{- printf "%s-%s" .name (toJson $inputs | sha256sum | trunc 8) -}}
{{- end -}}

{{/*
The annotation that has osh-postrender name the Job after its final pod
template (postrender/jobnames.py): `<base>-<hash>`. The chart's own name
(osh-lib.job-name) is what a render without the post-renderer gives; the
post-renderer also sees what its own stages add to the template (placement,
hot-fix init containers, overlay patches), which would otherwise fail an
upgrade on the immutable field.

  annotations:
    {{ include "osh-lib.job-name-annotation" "keystone-db-sync" }}
*/}}
{{- define "osh-lib.job-name-annotation" -}}
openstack-helm.org/job-name: {{ . }}
{{- end -}}
