"""Guests outlive libvirt's pod: a rollout of nova-libvirt must not stop the
node's guests, and the next libvirtd must know them again.

A small diskless QEMU guest (it sits in its firmware) is defined and started
through the running libvirt pod; the pod is deleted; the DaemonSet's next pod
must report the same guest running, with the same QEMU process. Runs after
test_region, which installs the whole region.
"""
from __future__ import annotations

import uuid

import pytest

NAMESPACE = "openstack"
SELECTOR = "app.kubernetes.io/name=nova,app.kubernetes.io/component=libvirt"


def domain_xml(name: str) -> str:
    return (f"<domain type='qemu'><name>{name}</name><memory unit='MiB'>32</memory>"
            "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
            "<devices><console type='pty'/></devices></domain>\n")


def libvirt_pod(kube) -> dict:
    pods = [p for p in kube.json("-n", NAMESPACE, "get", "pods", "-l", SELECTOR)["items"]
            if p["metadata"].get("deletionTimestamp") is None
            and any(c["type"] == "Ready" and c["status"] == "True"
                    for c in p.get("status", {}).get("conditions", []))]
    return pods[0] if len(pods) == 1 else {}


def in_pod(kube, pod: str, *command: str, input: str | None = None) -> str:
    return kube.run("-n", NAMESPACE, "exec", "-i", pod, "-c", "libvirt", "--", *command,
                    input=input).stdout.strip()


def qemu_pid(kube, pod: str, name: str) -> int:
    return int(in_pod(kube, pod, "cat", f"/run/libvirt/qemu/{name}.pid"))


@pytest.fixture
def guest(kube):
    pod = kube.wait_for(lambda: libvirt_pod(kube), "a Ready nova-libvirt pod", timeout=600)
    name = f"osh-live-{uuid.uuid4().hex[:8]}"
    in_pod(kube, pod["metadata"]["name"], "sh", "-c", f"cat > /tmp/{name}.xml && "
           f"virsh define /tmp/{name}.xml && virsh start {name}", input=domain_xml(name))
    yield name
    current = libvirt_pod(kube)
    if current:
        pod = current["metadata"]["name"]
        kube.run("-n", NAMESPACE, "exec", pod, "-c", "libvirt", "--", "sh", "-c",
                 f"virsh destroy {name}; virsh undefine {name}", check=False)


def test_a_guest_outlives_a_rollout_of_libvirts_pod(kube, guest):
    old = libvirt_pod(kube)["metadata"]["name"]
    pid = qemu_pid(kube, old, guest)
    # The guest's QEMU is outside every cgroup of the pod, or the runtime
    # stopping the pod would kill it.
    cgroups = in_pod(kube, old, "cat", f"/proc/{pid}/cgroup")
    assert "kubepods" not in cgroups, cgroups

    kube.run("-n", NAMESPACE, "delete", "pod", old, "--wait=true", timeout=300)
    new = kube.wait_for(lambda: (p := libvirt_pod(kube)) and p["metadata"]["name"] != old and p,
                        "the DaemonSet's next libvirt pod Ready", timeout=600)["metadata"]["name"]

    state = kube.wait_for(lambda: in_pod(kube, new, "virsh", "domstate", guest, "--reason"),
                          f"libvirtd in {new} reporting {guest}", timeout=120)
    assert state.startswith("running"), state
    assert qemu_pid(kube, new, guest) == pid
    # The definition was kept on the host: the new libvirtd lists it as persistent.
    assert in_pod(kube, new, "virsh", "dominfo", guest).count("Persistent:     yes") == 1
