{{/*
Keystone registration of a service: its service user (in the "service"
project, with roles), its catalog services and their endpoints in this
region. One Job, run with the admin credentials of the Secret keystone-admin
(keystone chart), from the Kolla kolla-toolbox image (it holds the openstack
client). Idempotent: it creates what is missing and corrects what differs, so
an upgrade that changes a URL or the password runs it again (a new Job name:
a Job's pod template is immutable).

  include "osh-lib.ks-register-job" (dict "ctx" $
    "user" "glance"                       # the service user, also the Job's name prefix
    "password_secret" "glance-ks-user"    # Secret (key "password") of the user's password
    "password_template" "secret-ks-user.yaml"  # the chart's template of that Secret
    "roles" (list "admin" "service")
    "services" (list (dict "type" "image" "name" "glance" "description" "Image service"))
    "endpoints" (list (dict "type" "image" "interface" "public" "url" "https://...") ...)
    "resources" .Values.resources.jobs
    "image" "kolla-toolbox")              # optional: the Kolla image with the openstack client

The user's password Secret is the chart's own (see osh-lib.ks-user-secret).
*/}}
{{- define "osh-lib.ks-register-job" -}}
{{- $ctx := .ctx -}}
{{- $image := include "osh-lib.image" (dict "ctx" $ctx "image" (.image | default "kolla-toolbox")) -}}
{{- $services := list -}}
{{- range .services -}}
{{- $services = append $services (printf "%s|%s|%s" .type .name .description) -}}
{{- end -}}
{{- $endpoints := list -}}
{{- range .endpoints -}}
{{- $endpoints = append $endpoints (printf "%s|%s|%s" .type .interface .url) -}}
{{- end -}}
{{- $roles := .roles | default (list "admin" "service") -}}
{{- $inputs := list $image $services $endpoints .user $roles (include "osh-lib.ks-register-script" . | sha256sum) (include "osh-lib.region-name" (dict "ctx" $ctx)) (include (print $ctx.Template.BasePath "/" .password_template) $ctx | sha256sum) -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "osh-lib.job-name" (dict "name" (printf "%s-ks-register" .user) "inputs" $inputs) }}
  labels:
    {{- include "osh-lib.labels" (dict "ctx" $ctx "component" "ks-register") | nindent 4 }}
spec:
  # Retries until Keystone answers and its bootstrap has made the admin.
  backoffLimit: 12
  template:
    metadata:
      labels:
        {{- include "osh-lib.labels" (dict "ctx" $ctx "component" "ks-register") | nindent 8 }}
    spec:
      restartPolicy: OnFailure
      containers:
        - name: ks-register
          image: {{ $image }}
          imagePullPolicy: {{ include "osh-lib.image-pull-policy" (dict "ctx" $ctx) }}
          # osh-lib.startup-command, with the script as a block for readers of the manifest.
          command:
            - /bin/sh
            - /var/lib/osh/start/osh-start.sh
          args:
            - /bin/sh
            - -c
            - |
              {{- include "osh-lib.ks-register-script" . | nindent 14 }}
          envFrom:
            - secretRef:
                name: keystone-admin
          env:
            - name: OSH_SERVICE_USER
              value: {{ .user | quote }}
            - name: OSH_SERVICE_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ .password_secret }}
                  key: password
            - name: OSH_ROLES
              value: {{ join " " $roles | quote }}
            - name: OSH_SERVICES
              value: {{ join "\n" $services | quote }}
            - name: OSH_ENDPOINTS
              value: {{ join "\n" $endpoints | quote }}
          {{- with .resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
            {{- include "osh-lib.startup-volume-mount" . | nindent 12 }}
      volumes:
        {{- include "osh-lib.startup-volume" . | nindent 8 }}
{{- end -}}

{{/*
The Secret with a service user's Keystone password (key "password"); the
services' config Secrets embed the same value.

  include "osh-lib.ks-user-secret" (dict "ctx" $ "name" "glance-ks-user" "key" "glance.keystone_password" "value" .Values.keystone_password)
*/}}
{{- define "osh-lib.ks-user-secret" -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .name }}
  labels:
    {{- include "osh-lib.labels" (dict "ctx" .ctx "component" "ks-register") | nindent 4 }}
type: Opaque
stringData:
  password: {{ include "osh-lib.required" (dict "key" .key "value" .value) | quote }}
{{- end -}}

{{/* The registration script; its inputs come from the environment. */}}
{{- define "osh-lib.ks-register-script" -}}
set -eu
project=service
openstack project show --domain default "$project" >/dev/null 2>&1 ||
    openstack project create --domain default --description "Service project" "$project"
if user=$(openstack user show --domain default -f value -c id "$OSH_SERVICE_USER" 2>/dev/null); then
    openstack user set --password "$OSH_SERVICE_PASSWORD" "$user"
else
    openstack user create --domain default --password "$OSH_SERVICE_PASSWORD" "$OSH_SERVICE_USER"
fi
for role in $OSH_ROLES; do
    openstack role show "$role" >/dev/null 2>&1 || openstack role create "$role"
    openstack role add --project "$project" --project-domain default \
        --user "$OSH_SERVICE_USER" --user-domain default "$role"
done
printf '%s\n' "$OSH_SERVICES" | while IFS='|' read -r type name description; do
    [ -n "$type" ] || continue
    id=$(openstack service list -f value -c ID -c Type | awk -v t="$type" '$2 == t { print $1; exit }')
    if [ -z "$id" ]; then
        openstack service create --name "$name" --description "$description" "$type"
    else
        openstack service set --name "$name" --description "$description" "$id"
    fi
done
printf '%s\n' "$OSH_ENDPOINTS" | while IFS='|' read -r type interface url; do
    [ -n "$type" ] || continue
    id=$(openstack endpoint list --service "$type" --interface "$interface" \
        --region "$OS_REGION_NAME" -f value -c ID | head -n 1)
    if [ -z "$id" ]; then
        openstack endpoint create --region "$OS_REGION_NAME" "$type" "$interface" "$url"
    else
        openstack endpoint set --url "$url" "$id"
    fi
done
{{- end -}}
