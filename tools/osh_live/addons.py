"""What kubeadm adds to a fresh cluster, and what one node needs for a region.

- the pod sandbox image, Kubernetes' pause compiled from its own source;
- CoreDNS, built from its Go module, as the cluster's DNS (the kube-dns
  Service at DNS_SERVICE_IP), running as a non-root user on port 1053: the
  Service maps 53 to it, so it needs no capability;
- a pool of hostPath PersistentVolumes without a class, which PVCs that name
  no class bind to (the charts' StatefulSets and Glance's image store).
"""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from osh_live import gobuild, network, paths, versions
from osh_live.proc import output, run, say

PAUSE_IMAGE = f"localhost/osh-live/pause:{versions.PAUSE}"
COREDNS_IMAGE = f"localhost/osh-live/coredns:{versions.COREDNS}"
VOLUMES = 24
VOLUME_SIZE = "200Gi"
# A non-root user and a port above 1024: CoreDNS needs no capability.
COREDNS_PORT = 1053
NOBODY = 65534


def _podman_has(reference: str, label: str) -> bool:
    result = subprocess.run(["podman", "image", "inspect", "--format",
                             "{{index .Labels \"org.openstack-helm.live.source\"}}", reference],
                            capture_output=True, text=True)
    return result.returncode == 0 and result.stdout.strip() == label


def _scratch_image(reference: str, binary: Path, user: int, entrypoint: list[str]) -> None:
    """A one-binary image FROM scratch, labelled with the binary's build key."""
    label = binary.parent.name
    if _podman_has(reference, label):
        return
    say(f"building {reference}")
    with tempfile.TemporaryDirectory() as context:
        (Path(context) / binary.name).write_bytes(binary.read_bytes())
        (Path(context) / binary.name).chmod(0o755)
        (Path(context) / "Containerfile").write_text(
            "FROM scratch\n"
            f"COPY {binary.name} /{binary.name}\n"
            f"LABEL org.openstack-helm.live.source={label}\n"
            f"USER {user}:{user}\n"
            f"ENTRYPOINT {json.dumps(entrypoint)}\n")
        run(["podman", "build", "--quiet", "-t", reference, context], quiet=True)


def build_images() -> list[str]:
    """The images of the cluster itself, built into podman; their references."""
    _scratch_image(PAUSE_IMAGE, gobuild.pause_binary(), NOBODY, ["/pause"])
    coredns = gobuild.build(gobuild.COREDNS) / "coredns"
    _scratch_image(COREDNS_IMAGE, coredns, NOBODY, ["/coredns"])
    return [PAUSE_IMAGE, COREDNS_IMAGE]


COREFILE = f""".:{COREDNS_PORT} {{
    errors
    health {{
        lameduck 5s
    }}
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {{
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }}
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
    loadbalance
}}
"""


def _coredns_objects() -> list[dict]:
    labels = {"k8s-app": "kube-dns"}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": "coredns", "namespace": "kube-system"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": "system:coredns"},
         "rules": [
             {"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"],
              "verbs": ["list", "watch"]},
             {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
              "verbs": ["list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "system:coredns"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                     "name": "system:coredns"},
         "subjects": [{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}]},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "coredns", "namespace": "kube-system"},
         "data": {"Corefile": COREFILE}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
         "spec": {
             "replicas": 1, "selector": {"matchLabels": labels},
             "template": {
                 "metadata": {"labels": labels},
                 "spec": {
                     "serviceAccountName": "coredns",
                     "priorityClassName": "system-cluster-critical",
                     # Upstream resolution through the node's own resolver.
                     "dnsPolicy": "Default",
                     "tolerations": [{"operator": "Exists"}],
                     "securityContext": {"runAsNonRoot": True, "runAsUser": NOBODY,
                                         "runAsGroup": NOBODY,
                                         "seccompProfile": {"type": "RuntimeDefault"}},
                     "containers": [{
                         "name": "coredns", "image": COREDNS_IMAGE,
                         "imagePullPolicy": "Never",
                         "args": ["-conf", "/etc/coredns/Corefile"],
                         "ports": [{"name": "dns", "containerPort": COREDNS_PORT, "protocol": "UDP"},
                                   {"name": "dns-tcp", "containerPort": COREDNS_PORT, "protocol": "TCP"}],
                         "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                       "limits": {"memory": "170Mi"}},
                         "securityContext": {"allowPrivilegeEscalation": False,
                                             "readOnlyRootFilesystem": True,
                                             "capabilities": {"drop": ["ALL"]}},
                         "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181}},
                         "livenessProbe": {"httpGet": {"path": "/health", "port": 8080},
                                           "initialDelaySeconds": 30, "failureThreshold": 5},
                         "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns",
                                           "readOnly": True}]}],
                     "volumes": [{"name": "config", "configMap": {"name": "coredns"}}]}}}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": labels},
         "spec": {"selector": labels, "clusterIP": network.DNS_SERVICE_IP,
                  "ports": [{"name": "dns", "port": 53, "targetPort": COREDNS_PORT, "protocol": "UDP"},
                            {"name": "dns-tcp", "port": 53, "targetPort": COREDNS_PORT,
                             "protocol": "TCP"}]}},
    ]


def volume_objects(root: Path, count: int = VOLUMES, create: bool = True) -> list[dict]:
    """The pool of hostPath PersistentVolumes, in directories under root (made when `create`)."""
    objects = []
    for index in range(count):
        name = f"osh-live-{index:02d}"
        directory = root / name
        if create:
            directory.mkdir(parents=True, exist_ok=True)
            # hostPath volumes ignore fsGroup: let any pod user write, as
            # dynamic hostPath provisioners do.
            directory.chmod(0o777)
        objects.append({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name, "labels": {"osh-live/pool": "hostpath"}},
            "spec": {"capacity": {"storage": VOLUME_SIZE},
                     "accessModes": ["ReadWriteOnce", "ReadWriteMany"],
                     "persistentVolumeReclaimPolicy": "Retain",
                     "hostPath": {"path": str(directory), "type": "Directory"}}})
    return objects


def apply(kubectl: Path, kubeconfig: Path) -> None:
    objects = _coredns_objects() + volume_objects(paths.STATE / "volumes")
    manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
    run([kubectl, "--kubeconfig", kubeconfig, "apply", "--server-side", "--force-conflicts",
         "-f", "-"], input=manifest, quiet=True)
