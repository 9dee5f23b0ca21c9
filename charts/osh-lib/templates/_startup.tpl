{{/*
Start-up of a Kolla container. Kolla containers set neither `command` nor
`args`: the image's own entrypoint runs, `dumb-init --single-child --`, which
reaps orphaned children (dnsmasq, haproxy, privsep helpers), with the image's
CMD `kolla_start`, which copies the files config.json lists into place and
runs the command it names. Hot-fix patches need nothing here: the
post-renderer's hot-fix stage adds an init container that patches a copy of
the packages, mounted read-only over site-packages (docs/hotfix.md).

Environment every Kolla container needs: kolla_start copies the files listed
in /var/lib/kolla/config_files/config.json into place on each start.

  containers:
    - name: api
      env:
        {{- include "osh-lib.kolla-env" . | nindent 8 }}
*/}}
{{- define "osh-lib.kolla-env" -}}
- name: KOLLA_CONFIG_STRATEGY
  value: COPY_ALWAYS
{{- end -}}

{{/*
Environment of a Kolla container that runs a one-off command (a database
sync, a bootstrap, a script) instead of the image's service, as every Job
does. kolla_start sources the image's extend_start unless
KOLLA_SKIP_EXTEND_START is set, and an extend_start prepares the service, not
the command: keystone's appends Apache's `-DFOREGROUND` to whatever config.json
names (keystone-manage then exits 2), and with KOLLA_BOOTSTRAP set most run
their own database sync and exit before the command.

  env:
    {{- include "osh-lib.kolla-task-env" . | nindent 4 }}
*/}}
{{- define "osh-lib.kolla-task-env" -}}
{{ include "osh-lib.kolla-env" . }}
- name: KOLLA_SKIP_EXTEND_START
  value: "true"
{{- end -}}

{{/*
An init container that waits, up to 15 minutes, until the service's Keystone
user gets a token with the credentials of its config file's
[keystone_authtoken] (or of the section "section" names). Services that call
Keystone as they start (nova's conductor and scheduler reach placement,
neutron's ironic-neutron-agent Ironic) exit on a 401 until their
registration Job has made the user, and each exit is a restart; waiting here
keeps their containers' restart counts at what they really are. It runs the
service's own image (its keystoneauth1) as the image's user, and reads the
file from the pod's Kolla config volume. With "services" (service types), it
also waits until the user's catalog has an internal endpoint of each in the
region: nova-compute and nova-scheduler exit at start while placement is not
in the catalog yet, the ironic agent while baremetal is not.

  include "osh-lib.wait-keystone-user" (dict "ctx" $ "image" "nova-conductor" "file" "nova.conf" "mounts" (list ...) "resources" ...)
Optional: "section" (default keystone_authtoken) and "services" (a list of service types).
*/}}
{{- define "osh-lib.wait-keystone-user" -}}
- name: wait-keystone-user
  image: {{ include "osh-lib.image" (dict "ctx" .ctx "image" .image) }}
  imagePullPolicy: {{ include "osh-lib.image-pull-policy" (dict "ctx" .ctx) }}
  command:
    - python3
    - -c
    - |
      import configparser, os, sys, time
      from keystoneauth1 import session
      from keystoneauth1.identity import generic
      conf = configparser.ConfigParser(interpolation=None, strict=False)
      conf.read(sys.argv[1])
      a = conf[sys.argv[2] if len(sys.argv) > 2 else "keystone_authtoken"]
      services = os.environ.get("OSH_WAIT_SERVICES", "").split()
      region = os.environ.get("OSH_WAIT_REGION") or None
      deadline = time.monotonic() + 900
      while True:
          try:
              auth = generic.Password(auth_url=a["auth_url"], username=a["username"],
                                      password=a["password"], project_name=a["project_name"],
                                      user_domain_name=a.get("user_domain_name", "Default"),
                                      project_domain_name=a.get("project_domain_name", "Default"))
              s = session.Session(auth=auth, timeout=10)
              s.get_token()
              missing = [t for t in services if not s.get_endpoint(
                  service_type=t, interface="internal", region_name=region)]
              if not missing:
                  sys.exit(0)
              problem = "no internal endpoint of " + ", ".join(missing) + " in its catalog"
          except Exception as error:
              problem = error
          if time.monotonic() > deadline:
              sys.exit(f"Keystone user {a['username']}, after 15 minutes: {problem}")
          print(f"waiting for Keystone user {a['username']}: {problem}", flush=True)
          time.sleep(5)
    - /var/lib/kolla/config_files/{{ .file }}
    {{- with .section }}
    - {{ . }}
    {{- end }}
  {{- with .services }}
  env:
    - name: OSH_WAIT_SERVICES
      value: {{ join " " . | quote }}
    - name: OSH_WAIT_REGION
      value: {{ include "osh-lib.region-name" (dict "ctx" $.ctx) | quote }}
  {{- end }}
  {{- with .resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumeMounts:
    {{- toYaml .mounts | nindent 4 }}
{{- end -}}
