{{/*
What every pod spec of the region says about its access to the cluster and
to images, from the globals, included at the top level of each pod spec
(Deployments, StatefulSets, DaemonSets, node-group DaemonSets, Jobs):

    spec:
      {{- include "osh-lib.pod-access" (dict "ctx" $) | nindent 6 }}

- automountServiceAccountToken from global.pods.automountServiceAccountToken
  (default false): no container of the region calls the Kubernetes API, so
  none needs the token of its ServiceAccount. Rendered in both cases, so that
  the pod template says what it gets.
- imagePullSecrets from global.image.pullSecrets (names of Secrets in the
  release's namespace, default none), for a private mirror.

A Job's pod template is immutable: osh-lib.job-name hashes this text too, so
that a change here gives the Job a new name instead of a failed upgrade.
*/}}
{{- define "osh-lib.pod-access" -}}
{{- $global := .ctx.Values.global | default dict -}}
{{- $automount := dig "pods" "automountServiceAccountToken" false $global -}}
{{- if not (kindIs "bool" $automount) -}}
{{- fail (printf "global.pods.automountServiceAccountToken: %v is not true or false" $automount) -}}
{{- end -}}
automountServiceAccountToken: {{ $automount }}
{{- with dig "image" "pullSecrets" list $global }}
imagePullSecrets:
{{- range . }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$" (toString .)) }}
{{- fail (printf "global.image.pullSecrets: %q is not the name of a Secret" (toString .)) }}
{{- end }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
