"""What the image builds need from this machine: Debian packages and podman's
settings. Installs a missing package with apt-get and writes a setting only
where containers.conf does not have it yet; never changes what is already so.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from osh_live.proc import output, run, say

CONTAINERS_CONF = Path("/etc/containers/containers.conf")

# Settings podman needs on these machines (docs/live.md, "Images"):
# raising RLIMIT_NOFILE is not permitted inside the VM, so no default
# ulimits; crun refuses the hybrid cgroup layout, runc does not.
PODMAN_SETTINGS = {
    ("containers", "default_ulimits"): "[]",
    ("engine", "runtime"): '"runc"',
}

# Debian package -> a file it installs, to see whether it is there without
# asking dpkg for each one.
PACKAGES = {
    "podman": "/usr/bin/podman",
    "runc": "/usr/sbin/runc",
    "debootstrap": "/usr/sbin/debootstrap",
    "containerd": "/usr/bin/containerd",
    "containernetworking-plugins": "/usr/lib/cni/bridge",
    "conntrack": "/usr/sbin/conntrack",
    "iptables": "/usr/sbin/iptables",
    "iproute2": "/usr/sbin/ip",
    "openssl": "/usr/bin/openssl",
    "gcc": "/usr/bin/gcc",
    "libc6-dev": "/usr/lib/x86_64-linux-gnu/libc.a",
    "libkrb5-dev": "/usr/bin/krb5-config",
    "lvm2": "/usr/sbin/vgcreate",
}

# What the cluster itself runs on: containerd, runc and the CNI plugins are
# Debian's (its own components are built from source, osh_live.gobuild);
# gcc and libc's static archive compile the pause binary.
CLUSTER_PACKAGES = ["containerd", "runc", "containernetworking-plugins", "conntrack",
                    "iptables", "iproute2", "openssl", "gcc", "libc6-dev"]


def ensure_packages(names: list[str]) -> None:
    missing = [name for name in names if not Path(PACKAGES[name]).exists()]
    if not missing:
        return
    if not shutil.which("apt-get"):
        raise SystemExit(f"live: these Debian packages are needed: {' '.join(missing)}")
    run(["apt-get", "update", "-q"])
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
        env={"DEBIAN_FRONTEND": "noninteractive"})


def with_settings(text: str, settings: dict[tuple[str, str], str]) -> str:
    """containers.conf `text` with each (table, key) = value that is missing added.

    A key that is already set, to any value, is left alone: the machine's
    owner may have chosen it. Tables are created at the end when absent.
    """
    lines = text.splitlines()
    for (table, key), value in settings.items():
        start = next((i for i, line in enumerate(lines)
                      if line.strip() == f"[{table}]"), None)
        if start is None:
            if lines and lines[-1].strip():
                lines.append("")
            lines += [f"[{table}]", f"{key} = {value}"]
            continue
        end = next((i for i in range(start + 1, len(lines))
                    if re.match(r"\s*\[", lines[i])), len(lines))
        if any(re.match(rf"\s*{re.escape(key)}\s*=", line) for line in lines[start + 1:end]):
            continue
        lines.insert(start + 1, f"{key} = {value}")
    return "\n".join(lines) + "\n"


def ensure_podman() -> None:
    ensure_packages(["podman", "runc", "debootstrap"])
    text = CONTAINERS_CONF.read_text() if CONTAINERS_CONF.exists() else ""
    wanted = with_settings(text, PODMAN_SETTINGS)
    if wanted != text:
        say(f"writing podman's settings into {CONTAINERS_CONF}")
        CONTAINERS_CONF.parent.mkdir(parents=True, exist_ok=True)
        CONTAINERS_CONF.write_text(wanted)


def podman_has_image(ref: str) -> bool:
    return run(["podman", "image", "exists", ref], check=False, quiet=True).returncode == 0


def image_id(ref: str) -> str:
    return output(["podman", "image", "inspect", "--format", "{{.Id}}", ref]).strip()


def image_ids() -> dict[str, str]:
    """{name: image ID} of every image podman has: one call for all, where
    asking image by image costs a podman start each."""
    listed = output(["podman", "images", "--no-trunc", "--format",
                     "{{.Repository}}:{{.Tag}} {{.ID}}"])
    ids = {}
    for line in listed.splitlines():
        name, _, image_id = line.partition(" ")
        ids[name] = image_id.removeprefix("sha256:")
    return ids
