{{/*
iscsid, the iSCSI initiator daemon, on the nodes that attach iSCSI volumes
(nova's kvm hypervisors, cinder's lvm volume nodes), and what the containers
that attach them (nova-compute, cinder-volume) share with it. One definition
for both charts; each chart renders the DaemonSets of its own nodes
(docs/charts.md, "iSCSI initiator").

iscsiadm (run by os-brick through privsep) reaches iscsid by the abstract
unix socket @ISCSIADM_ABSTRACT_NAMESPACE, which lives in a network
namespace: the daemon and every container that attaches run on the host
network, and one iscsid serves a host. Both read the node records and the
initiator name under /etc/iscsi and take the record lock in /run/lock/iscsi,
so those two are the host's dirs, mounted in each of them.
*/}}

{{/*
global.iscsid.enabled, checked (default true: cinder's default backend, lvm,
exports iSCSI). Gives "true" or "".

  {{- if include "osh-lib.iscsid-enabled" (dict "ctx" $) }}
*/}}
{{- define "osh-lib.iscsid-enabled" -}}
{{- $enabled := dig "iscsid" "enabled" true (.ctx.Values.global | default dict) -}}
{{- if not (kindIs "bool" $enabled) -}}
{{- fail (printf "global.iscsid.enabled: %v is not true or false" $enabled) -}}
{{- end -}}
{{- if $enabled }}true{{ end -}}
{{- end -}}

{{/*
config.json of iscsid: the daemon in the foreground, logging at debug level
8 to the container's output, as Kolla's own deployment runs it. It has no
config file of its own: it reads the host's /etc/iscsi (iscsid.conf if the
host has one, else open-iscsi's built-in defaults), where the image's
extend_start writes initiatorname.iscsi on the first start.
*/}}
{{- define "osh-lib.iscsid-kolla-config" -}}
{{- toPrettyJson (dict "command" "iscsid -d 8 -f" "config_files" list) -}}
{{- end -}}

{{/*
The pod spec of an iscsid DaemonSet (osh-lib.group-daemonsets adds
osh-lib.pod-access):

  include "osh-lib.iscsid-pod-spec" (dict
      "ctx" $                  # the chart's context: image and pull policy
      "image" "iscsid"         # the Kolla image name
      "resources" $resources   # the container's resources
      "secret" "cinder-etc"    # the chart's Secret holding ...
      "key" "config-iscsid.json")  # ... osh-lib.iscsid-kolla-config under this key

Privileged and root (the image's user): it loads the iSCSI kernel modules
(/lib/modules), opens the kernel's iSCSI netlink, and logs sessions in,
whose block devices appear in the host's /dev.
*/}}
{{- define "osh-lib.iscsid-pod-spec" -}}
hostNetwork: true
dnsPolicy: ClusterFirstWithHostNet
containers:
  - name: iscsid
    image: {{ include "osh-lib.image" (dict "ctx" .ctx "image" .image) }}
    imagePullPolicy: {{ include "osh-lib.image-pull-policy" (dict "ctx" .ctx) }}
    env:
      {{- include "osh-lib.kolla-env" . | nindent 6 }}
    securityContext:
      privileged: true
    resources:
      {{- toYaml .resources | nindent 6 }}
    volumeMounts:
      - name: kolla-config-iscsid
        mountPath: /var/lib/kolla/config_files
        readOnly: true
      {{- include "osh-lib.iscsi-mounts" . | nindent 6 }}
      - name: dev
        mountPath: /dev
      - name: modules
        mountPath: /lib/modules
        readOnly: true
volumes:
  - name: kolla-config-iscsid
    secret:
      secretName: {{ .secret }}
      defaultMode: 0440
      items:
        - key: {{ .key }}
          path: config.json
  {{- include "osh-lib.iscsi-volumes" . | nindent 2 }}
  - name: dev
    hostPath:
      path: /dev
      type: Directory
  - name: modules
    hostPath:
      path: /lib/modules
      type: Directory
{{- end -}}

{{/*
The mounts a container that attaches iSCSI volumes shares with the host's
iscsid (and their volumes, osh-lib.iscsi-volumes, in its pod spec): the
node records and initiator name, and the record lock.

  volumeMounts:
    {{- include "osh-lib.iscsi-mounts" . | nindent 4 }}
*/}}
{{- define "osh-lib.iscsi-mounts" -}}
- name: iscsi-etc
  mountPath: /etc/iscsi
- name: iscsi-lock
  mountPath: /run/lock/iscsi
{{- end -}}

{{- define "osh-lib.iscsi-volumes" -}}
- name: iscsi-etc
  hostPath:
    path: /etc/iscsi
    type: DirectoryOrCreate
- name: iscsi-lock
  hostPath:
    path: /run/lock/iscsi
    type: DirectoryOrCreate
{{- end -}}
