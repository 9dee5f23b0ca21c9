{{/*
Probes of a container with no HTTP or TCP port of its own to ask: the same
command for readiness, start-up and liveness. The startup probe gives a slow
first start 10 minutes; after it, a container whose check has failed for 5
minutes is restarted.

    {{- include "osh-lib.exec-probes" (dict "command" (list "virsh" "version" "--daemon")) | nindent 10 }}

The commands are the health checks kolla-ansible gives the same containers,
run with what the Kolla 2025.1 image has.
*/}}
{{- define "osh-lib.exec-probes" -}}
{{- $command := toJson (required "osh-lib.exec-probes: command is required" .command) -}}
readinessProbe:
  exec:
    command: {{ $command }}
  periodSeconds: 30
  timeoutSeconds: 10
startupProbe:
  exec:
    command: {{ $command }}
  periodSeconds: 10
  timeoutSeconds: 10
  failureThreshold: 60
livenessProbe:
  exec:
    command: {{ $command }}
  periodSeconds: 60
  timeoutSeconds: 10
  failureThreshold: 5
{{- end -}}

{{/*
Probes of a service that serves only over RPC: ready, and alive, while one of
its processes holds a connection to RabbitMQ (port 5672, as
osh-lib.transport-url writes it). The check is Kolla's healthcheck_port
(in /usr/local/bin of every 2025.1 image: pgrep -f on the process name, then
ss -ntp for that process's connections to the port). It catches what a
running process alone does not: an oslo service whose start failed (say, on
a database not migrated yet) and that stays up with no RPC server, or one
that lost RabbitMQ and never got it back.

    {{- include "osh-lib.rpc-probes" (dict "process" "nova-conductor") | nindent 10 }}
*/}}
{{- define "osh-lib.rpc-probes" -}}
{{- $process := required "osh-lib.rpc-probes: process is required" .process -}}
{{- include "osh-lib.exec-probes" (dict "command" (list "healthcheck_port" $process "5672")) -}}
{{- end -}}
