{{/*
NetworkPolicies, opt-in (global.network_policies.enabled, default false).
The umbrella renders osh-lib.network-policy-default-deny once: no ingress to
any pod of the region. Each chart then allows the ports of each of its
Services, read from the Service template itself so that the two never
disagree, from the namespace's pods and from global.network_policies.from
(NetworkPolicyPeers: the Ingress controller's namespace, the node network
of the hostNetwork agents).

  {{- include "osh-lib.network-policy" (dict "ctx" $ "service" "service-api.yaml") }}

The policy has the Service's name, labels and selector, and allows its
target ports (by name where the Service names them) and protocols. A
LoadBalancer or NodePort Service (designate's mdns) is there to be reached
from outside the cluster: its ports are open to every source.
*/}}
{{- define "osh-lib.network-policy" -}}
{{- $ctx := .ctx -}}
{{- $np := dig "network_policies" dict ($ctx.Values.global | default dict) -}}
{{- if $np.enabled -}}
{{- $svc := include (print $ctx.Template.BasePath "/" .service) $ctx | fromYaml -}}
{{- if $svc.spec }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $svc.metadata.name }}
  labels:
    {{- toYaml $svc.metadata.labels | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- toYaml $svc.spec.selector | nindent 6 }}
  policyTypes:
    - Ingress
  ingress:
    {{- if has ($svc.spec.type | default "ClusterIP") (list "LoadBalancer" "NodePort") }}
    - ports:
    {{- else }}
    - from:
        - podSelector: {}
        {{- with $np.from }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
    {{- end }}
        {{- range $svc.spec.ports }}
        - port: {{ .targetPort | default .port | toJson }}
          protocol: {{ .protocol | default "TCP" }}
        {{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The umbrella's default deny: every pod of the region, no ingress. */}}
{{- define "osh-lib.network-policy-default-deny" -}}
{{- $ctx := .ctx -}}
{{- if dig "network_policies" "enabled" false ($ctx.Values.global | default dict) }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: openstack-default-deny-ingress
  labels:
    {{- include "osh-lib.labels" (dict "ctx" $ctx "component" "network-policy") | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/part-of: openstack
  policyTypes:
    - Ingress
{{- end }}
{{- end -}}
