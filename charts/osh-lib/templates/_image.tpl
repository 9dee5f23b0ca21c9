{{/*
Image references. Kolla images are <registry>/<namespace>/<image>:<tag> from
global.image (default quay.io/openstack.kolla/<image>:2025.1-ubuntu-noble):

  include "osh-lib.image" (dict "ctx" $ "image" "keystone")

Upstream (non-Kolla) images read global.upstream_image, whose tags are kept
per image because upstream projects version independently:

  include "osh-lib.image" (dict "ctx" $ "image" "postgres" "source" "upstream")
*/}}
{{- define "osh-lib.image" -}}
{{- $global := .ctx.Values.global | default dict -}}
{{- if eq (.source | default "kolla") "upstream" -}}
{{- $up := $global.upstream_image | default dict -}}
{{- $tags := $up.tags | default dict -}}
{{- $tag := required (printf "global.upstream_image.tags.%s is required" .image) (get $tags .image) -}}
{{- printf "%s/%s/%s:%s" ($up.registry | default "docker.io") ($up.namespace | default "library") .image $tag -}}
{{- else -}}
{{- $img := $global.image | default dict -}}
{{- printf "%s/%s/%s:%s" ($img.registry | default "quay.io") ($img.namespace | default "openstack.kolla") .image ($img.tag | default "2025.1-ubuntu-noble") -}}
{{- end -}}
{{- end -}}

{{/* imagePullPolicy from global.image.pullPolicy (default IfNotPresent). */}}
{{- define "osh-lib.image-pull-policy" -}}
{{- $img := (.ctx.Values.global | default dict).image | default dict -}}
{{- $img.pullPolicy | default "IfNotPresent" -}}
{{- end -}}
