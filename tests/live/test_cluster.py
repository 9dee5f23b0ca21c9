"""The cluster itself: a Ready node, cluster DNS, and Services that pods reach."""
from __future__ import annotations

import os

SHELL_IMAGE = os.environ.get("OSH_LIVE_SHELL_IMAGE", "localhost/debian:bookworm")
SERVER_IMAGE = os.environ.get("OSH_LIVE_SERVER_IMAGE", "localhost/osh-live/coredns:v1.12.1")

RESTRICTED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
              "runAsNonRoot": True, "runAsUser": 65534, "seccompProfile": {"type": "RuntimeDefault"}}


def _client_pod(name: str, namespace: str, script: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"restartPolicy": "Never", "automountServiceAccountToken": False,
                     "containers": [{"name": "client", "image": SHELL_IMAGE,
                                     "imagePullPolicy": "Never", "securityContext": RESTRICTED,
                                     "command": ["bash", "-c", script]}]}}


def _finished(kube, namespace: str, name: str) -> str | None:
    pod = kube.json("-n", namespace, "get", "pod", name)
    phase = pod["status"].get("phase")
    return phase if phase in ("Succeeded", "Failed") else None


def test_the_node_is_ready(kube):
    nodes = kube.json("get", "nodes")["items"]
    assert len(nodes) >= 1
    conditions = {c["type"]: c["status"] for c in nodes[0]["status"]["conditions"]}
    assert conditions["Ready"] == "True", conditions


def test_coredns_resolves_a_service_name_from_a_pod(kube, namespace):
    kube.apply([_client_pod("resolve", namespace,
                            "getent hosts kubernetes.default.svc.cluster.local")])
    phase = kube.wait_for(lambda: _finished(kube, namespace, "resolve"), "resolver pod finished")
    logs = kube.run("-n", namespace, "logs", "resolve").stdout
    assert phase == "Succeeded", logs
    # The name resolves to the kubernetes Service's ClusterIP.
    assert logs.split()[0] == kube.json("-n", "default", "get", "service", "kubernetes")["spec"]["clusterIP"]


def test_a_pod_reaches_a_clusterip_service_by_name(kube, namespace):
    labels = {"app": "health"}
    corefile = ".:1053 {\n    health :8080\n    whoami\n}\n"
    kube.apply([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "health", "namespace": namespace},
         "data": {"Corefile": corefile}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "health", "namespace": namespace},
         "spec": {"selector": {"matchLabels": labels}, "template": {
             "metadata": {"labels": labels},
             "spec": {"automountServiceAccountToken": False, "containers": [{
                 "name": "server", "image": SERVER_IMAGE, "imagePullPolicy": "Never",
                 "args": ["-conf", "/etc/coredns/Corefile"], "securityContext": RESTRICTED,
                 "readinessProbe": {"httpGet": {"path": "/health", "port": 8080}},
                 "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns"}]}],
                 "volumes": [{"name": "config", "configMap": {"name": "health"}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "health", "namespace": namespace},
         "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}},
    ])
    kube.run("-n", namespace, "rollout", "status", "deployment/health", "--timeout=120s")
    # kube-proxy programs a new Service's rules within a few seconds; until
    # then its ClusterIP leads nowhere (here: out of the node), so retry.
    script = ("for i in $(seq 30); do"
              " reply=$(exec 3<>/dev/tcp/health/80 && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3"
              " && cat <&3) && case $reply in 'HTTP/1.'?' 200 '*) printf '%s' \"$reply\"; exit 0;; esac;"
              " sleep 1; done; printf '%s' \"$reply\"; exit 1")
    kube.apply([_client_pod("fetch", namespace, script)])
    phase = kube.wait_for(lambda: _finished(kube, namespace, "fetch"), "client pod finished")
    logs = kube.run("-n", namespace, "logs", "fetch").stdout
    assert phase == "Succeeded", logs
    assert logs.split(None, 2)[1:2] == ["200"] and logs.rstrip().endswith("OK"), logs
