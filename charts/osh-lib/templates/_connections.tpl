{{/*
Connection URLs with credentials. They hold passwords, so render them only
into Secrets (config files that embed them are Secrets too).

Database: global.database.<service> = {engine: postgresql|mariadb, password};
database and user are both named after the service.

  include "osh-lib.database-url" (dict "ctx" $ "service" "keystone")

RabbitMQ: global.rabbitmq.users.<service>.password, on global.rabbitmq.vhost.

  include "osh-lib.transport-url" (dict "ctx" $ "service" "nova")
*/}}
{{- define "osh-lib.database-url" -}}
{{- $db := dig "database" .service dict .ctx.Values.global -}}
{{- $engine := $db.engine | default "postgresql" -}}
{{- $password := include "osh-lib.required" (dict "key" (printf "global.database.%s.password" .service) "value" $db.password) -}}
{{- $host := printf "%s.%s.svc" $engine .ctx.Release.Namespace -}}
{{- if eq $engine "postgresql" -}}
{{- printf "postgresql+psycopg2://%s:%s@%s:5432/%s" .service (include "osh-lib.userinfo-escape" $password) $host .service -}}
{{- else if eq $engine "mariadb" -}}
{{- printf "mysql+pymysql://%s:%s@%s:3306/%s?charset=utf8mb4" .service (include "osh-lib.userinfo-escape" $password) $host .service -}}
{{- else -}}
{{- fail (printf "global.database.%s.engine: %q is not postgresql or mariadb" .service $engine) -}}
{{- end -}}
{{- end -}}

{{- define "osh-lib.transport-url" -}}
{{- $password := include "osh-lib.required" (dict "key" (printf "global.rabbitmq.users.%s.password" .service) "value" (dig "rabbitmq" "users" .service "password" "" .ctx.Values.global)) -}}
{{- $vhost := dig "rabbitmq" "vhost" "openstack" .ctx.Values.global -}}
{{- printf "rabbit://%s:%s@rabbitmq.%s.svc:5672/%s" .service (include "osh-lib.userinfo-escape" $password) .ctx.Release.Namespace $vhost -}}
{{- end -}}

{{/*
Percent-encodes a password for the userinfo part of a URL. urlquery writes a
space as "+", which SQLAlchemy and oslo.messaging would keep literally.
*/}}
{{- define "osh-lib.userinfo-escape" -}}
{{- urlquery . | replace "+" "%20" -}}
{{- end -}}
