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
