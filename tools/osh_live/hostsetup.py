"""The Debian packages the live cluster runs on, installed when missing.

containerd, runc and the CNI plugins are Debian's (the cluster's own
components are built from source: gobuild); podman builds the images.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from osh_live.proc import run, say

# command on PATH (or file) -> Debian package that provides it
PACKAGES = {
    "containerd": "containerd",
    "runc": "runc",
    "/usr/lib/cni/bridge": "containernetworking-plugins",
    "conntrack": "conntrack",
    "iptables": "iptables",
    "ip": "iproute2",
    "openssl": "openssl",
    "podman": "podman",
    "gcc": "gcc",
    "socat": "socat",
}


def missing_packages() -> list[str]:
    missing = []
    for command, package in PACKAGES.items():
        present = Path(command).exists() if command.startswith("/") else shutil.which(command)
        if not present and package not in missing:
            missing.append(package)
    return missing


def ensure_packages() -> None:
    missing = missing_packages()
    if not missing:
        return
    say(f"installing Debian packages: {' '.join(missing)}")
    run(["apt-get", "update", "-q"])
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
        env={"DEBIAN_FRONTEND": "noninteractive"})
