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
