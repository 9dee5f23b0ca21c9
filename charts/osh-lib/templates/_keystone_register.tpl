{{/*
Keystone registration of a service: its service user (in the "service"
project, with roles), its catalog services and their endpoints in this
region. One Job, run with the admin credentials of the Secret keystone-admin
(keystone chart), from the Kolla kolla-toolbox image (it holds the openstack
client). Idempotent: it creates what is missing and corrects what differs, so
an upgrade that changes a URL or the password runs it again (a new Job name:
a Job's pod template is immutable).

Two templates in the service chart, one include each:

  # secret-ks-register.yaml: the user's password, the script and its config.json
  include "osh-lib.ks-register-secret" (dict "ctx" $ "name" "glance-ks-register"
    "key" "glance.keystone_password" "value" .Values.keystone_password)

  # job-ks-register.yaml
  include "osh-lib.ks-register-job" (dict "ctx" $
    "user" "glance"                       # the service user, also the Job's name prefix
    "secret" "glance-ks-register"         # the Secret above
    "secret_template" "secret-ks-register.yaml"
    "roles" (list "admin" "service")      # optional, this is the default
    "services" (list (dict "type" "image" "name" "glance" "description" "Image service"))
    "endpoints" (list (dict "type" "image" "interface" "public" "url" "https://...") ...)
    "resources" .Values.resources.jobs
    "image" "kolla-toolbox")              # optional: the Kolla image with the openstack client

Like every Kolla container it starts through the image's own entrypoint
(dumb-init, then kolla_start, which runs the command config.json names); the
script's inputs are environment variables, its output the client's.
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
{{- $inputs := list $image $services $endpoints .user $roles (include "osh-lib.region-name" (dict "ctx" $ctx)) (include (print $ctx.Template.BasePath "/" .secret_template) $ctx | sha256sum) -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "osh-lib.job-name" (dict "ctx" $ctx "name" (printf "%s-ks-register" .user) "inputs" $inputs) }}
  annotations:
    {{ include "osh-lib.job-name-annotation" (printf "%s-ks-register" .user) }}
  labels:
    {{- include "osh-lib.labels" (dict "ctx" $ctx "component" "ks-register") | nindent 4 }}
spec:
  # The script itself waits for Keystone (up to 10 minutes); the retries
  # cover what it does not (a Keystone restart in the middle).
  backoffLimit: 12
  template:
    metadata:
      labels:
        {{- include "osh-lib.labels" (dict "ctx" $ctx "component" "ks-register") | nindent 8 }}
      # The script and password are in the Secret: a change to them changes
      # the pod template, so the Job's name (openstack-helm.org/job-name)
      # and the registration runs again.
      annotations:
        {{- include "osh-lib.checksums" (dict "ctx" $ctx "templates" (list .secret_template)) | nindent 8 }}
    spec:
      {{- include "osh-lib.pod-access" (dict "ctx" $ctx) | nindent 6 }}
      restartPolicy: OnFailure
      containers:
        - name: ks-register
          image: {{ $image }}
          imagePullPolicy: {{ include "osh-lib.image-pull-policy" (dict "ctx" $ctx) }}
          envFrom:
            - secretRef:
                name: keystone-admin
          env:
            {{- include "osh-lib.kolla-task-env" . | nindent 12 }}
            - name: OSH_SERVICE_USER
              value: {{ .user | quote }}
            - name: OSH_SERVICE_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ .secret }}
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
            - name: kolla-config
              mountPath: /var/lib/kolla/config_files
              readOnly: true
      volumes:
        - name: kolla-config
          secret:
            secretName: {{ .secret }}
            defaultMode: 0444
            items:
              - key: config.json
                path: config.json
              - key: ks-register.sh
                path: ks-register.sh
{{- end -}}

{{/*
The Secret of a service's Keystone registration: the user's password (key
"password", which the service's config Secret embeds too), the script, and
the config.json that makes kolla_start run it.
*/}}
{{- define "osh-lib.ks-register-secret" -}}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .name }}
  labels:
    {{- include "osh-lib.labels" (dict "ctx" .ctx "component" "ks-register") | nindent 4 }}
type: Opaque
stringData:
  password: {{ include "osh-lib.required" (dict "key" .key "value" .value) | quote }}
  config.json: |
    {"command": "/bin/sh /var/lib/kolla/config_files/ks-register.sh", "config_files": []}
  ks-register.sh: |
    {{- include "osh-lib.ks-register-script" . | nindent 4 }}
{{- end -}}

{{/* The registration script; its inputs come from the environment. */}}
{{- define "osh-lib.ks-register-script" -}}
set -eu
# Keystone may still be starting (its API, or the bootstrap that makes the
# admin): wait here for a token, up to 10 minutes, instead of failing and
# being restarted by the Job.
tries=0
until openstack token issue -f value -c id >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 120 ]; then
        openstack token issue -f value -c id >/dev/null
    fi
    sleep 5
done
# Every service's registration runs at once, and the project and roles are
# shared: what another Job created between the show and the create is a
# conflict, and the show after it finds it.
project=service
openstack project show --domain default "$project" >/dev/null 2>&1 ||
    openstack project create --domain default --description "Service project" "$project" >/dev/null 2>&1 ||
    openstack project show --domain default "$project" >/dev/null
if user=$(openstack user show --domain default -f value -c id "$OSH_SERVICE_USER" 2>/dev/null); then
    openstack user set --password "$OSH_SERVICE_PASSWORD" "$user"
else
    openstack user create --domain default --password "$OSH_SERVICE_PASSWORD" "$OSH_SERVICE_USER"
fi
for role in $OSH_ROLES; do
    openstack role show "$role" >/dev/null 2>&1 || openstack role create "$role" >/dev/null 2>&1 ||
        openstack role show "$role" >/dev/null
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
