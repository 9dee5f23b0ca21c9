"""tools/live openstack ARGS: the real openstack client, run in the cluster.

The client is the one in Kolla's openstack-base image, with every service's plugin. It runs in a small
toolbox pod in the region's namespace, started on first use and kept, with
the region's admin credentials from the keystone-admin Secret and Keystone's
internal endpoint (its Service), so no Ingress or certificate is involved.
`--file LOCAL` copies a local file into the pod first, at /tmp/<name>, for
commands such as `image create --file`; `--fetch REMOTE` copies a file back.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from osh_live import cluster, containerd, imageload
from osh_live.proc import LiveError

TOOLBOX = "osh-live-openstack"


def add_arguments(parser, name: str) -> None:
    parser.add_argument("--namespace", default="openstack")
    parser.add_argument("--region", default="europe-example",
                        help="the Keystone region (global.region.name of the region chart)")
    parser.add_argument("--file", action="append", default=[], type=Path,
                        help="copy a local file into the toolbox as /tmp/<name> first")
    parser.add_argument("--fetch", action="append", default=[],
                        help="after the command, copy /tmp/<name> from the toolbox to ./<name>")
    # Everything from the client's first word on is the client's, its own
    # --file included (image save --file), never this command's.
    parser.add_argument("client_args", nargs=argparse.REMAINDER, metavar="ARGS",
                        help="the openstack client's arguments")


def toolbox_pod(namespace: str, region: str, image: str) -> dict:
    env = {
        "OS_AUTH_URL": f"http://keystone-api.{namespace}.svc.cluster.local:5000/v3",
        "OS_IDENTITY_API_VERSION": "3",
        "OS_INTERFACE": "internal",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_PROJECT_NAME": "admin",
        "OS_REGION_NAME": region,
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_USERNAME": "admin",
    }
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": TOOLBOX, "namespace": namespace,
                     "labels": {"app.kubernetes.io/name": TOOLBOX}},
        "spec": {
            "automountServiceAccountToken": False,
            "terminationGracePeriodSeconds": 1,
            "containers": [{
                "name": "client", "image": image, "imagePullPolicy": "IfNotPresent",
                # Kolla's entry point would run kolla_start; the client only needs a shell that waits.
                "command": ["sleep", "infinity"],
                "env": [{"name": k, "value": v} for k, v in env.items()] + [
                    {"name": "OS_PASSWORD",
                     "valueFrom": {"secretKeyRef": {"name": "keystone-admin", "key": "OS_PASSWORD"}}}],
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}},
            }],
        },
    }


def _toolbox_image(namespace: str) -> str:
    """Kolla's openstack-base image of the region's release: its venv holds the
    client with every service's plugin (share, secret, zone, baremetal), where
    kolla-toolbox has only a few. Taken from the registry and tag of the
    region's keystone image, so the client matches the region."""
    data = json.loads(cluster.kubectl("-n", namespace, "get", "deployments", "-o", "json"))
    for item in data["items"]:
        for container in item["spec"]["template"]["spec"]["containers"]:
            if "/keystone:" in container["image"]:
                return container["image"].replace("/keystone:", "/openstack-base:")
    raise LiveError(f"no keystone Deployment in namespace {namespace}: is a region installed?")


def ensure_toolbox(namespace: str, region: str) -> None:
    image = _toolbox_image(namespace)
    try:
        found = cluster.kubectl("-n", namespace, "get", "pod", TOOLBOX, "-o",
                                "jsonpath={.status.phase} {.spec.containers[0].image}").split()
    except LiveError:
        found = []
    if found == ["Running", image]:
        return
    if found:
        cluster.kubectl("-n", namespace, "delete", "pod", TOOLBOX, "--wait=true")
    # A parent image, which no chart runs: install loads only the charts' images.
    imageload.load([image], str(containerd.address()))
    pod = toolbox_pod(namespace, region, image)
    cluster.kubectl("apply", "-f", "-", input=json.dumps(pod))
    cluster.kubectl("-n", namespace, "wait", "--for=condition=Ready", f"pod/{TOOLBOX}", "--timeout=300s")


OWN_OPTIONS = ("--namespace", "--region", "--file", "--fetch")


def client_argv(argv: list[str]) -> list[str]:
    """The client's arguments, in their order: all of `argv` (what follows
    `openstack`) but this command's own options before the first other word."""
    at = 0
    while at < len(argv):
        word = argv[at]
        if word in OWN_OPTIONS:
            at += 2
        elif word.split("=", 1)[0] in OWN_OPTIONS:
            at += 1
        else:
            break
    return argv[at:]


def main(args) -> int:
    ensure_toolbox(args.namespace, args.region)
    base = [str(cluster.kubectl_binary()), "--kubeconfig", str(cluster.admin_kubeconfig()),
            "-n", args.namespace]
    for local in args.file:
        cluster.kubectl("-n", args.namespace, "cp", str(local), f"{TOOLBOX}:/tmp/{local.name}",
                        "-c", "client")
    result = subprocess.run(base + ["exec", TOOLBOX, "-c", "client", "--", "openstack",
                                    *client_argv(args.argv[1:])])
    for remote in args.fetch:
        name = Path(remote).name
        cluster.kubectl("-n", args.namespace, "cp", f"{TOOLBOX}:/tmp/{name}", name, "-c", "client")
    sys.stdout.flush()
    return result.returncode
