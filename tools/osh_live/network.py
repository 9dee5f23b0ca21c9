"""Pod networking of the one node, and removing every trace of it.

Pods sit on a Linux bridge through Debian's CNI plugins (bridge, host-local,
portmap, loopback): the node routes, so pods reach each other, the node and,
masqueraded, the outside. kube-proxy gives Services their ClusterIPs with
iptables rules. `sweep` removes what those leave behind when the cluster has
stopped: network namespaces, the bridge, the KUBE-* and CNI-* chains.
"""
from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

from osh_live import paths
from osh_live.proc import output, run, say

POD_CIDR = "10.244.0.0/24"
CLUSTER_CIDR = "10.244.0.0/16"
SERVICE_CIDR = "10.96.0.0/16"
KUBERNETES_SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"
BRIDGE = "osh-live0"
NETWORK_NAME = "osh-live"

# Chains the kubelet, kube-proxy and the CNI plugins create.
_OUR_CHAIN = re.compile(r"^(KUBE-|CNI-)")


def cni_conf_dir() -> Path:
    return paths.STATE / "cni" / "net.d"


def write_cni_config() -> Path:
    directory = cni_conf_dir()
    directory.mkdir(parents=True, exist_ok=True)
    conflist = {
        "cniVersion": "0.4.0",
        "name": NETWORK_NAME,
        "plugins": [
            {"type": "bridge", "bridge": BRIDGE, "isGateway": True, "ipMasq": True,
             "hairpinMode": True,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": POD_CIDR}]],
                      "routes": [{"dst": "0.0.0.0/0"}],
                      # IPAM state with the cluster's, not in /var/lib/cni.
                      "dataDir": str(paths.STATE / "cni" / "ipam")}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    path = directory / "10-osh-live.conflist"
    paths.write_config(path, json.dumps(conflist, indent=2) + "\n")
    return path


def prepare_host() -> None:
    """What the kubelet and kube-proxy expect of the host's kernel settings."""
    for key, value in (("net/ipv4/ip_forward", "1"),
                       ("net/bridge/bridge-nf-call-iptables", "1"),
                       ("net/bridge/bridge-nf-call-ip6tables", "1")):
        target = Path("/proc/sys") / key
        if target.read_text().strip() != value:
            target.write_text(value)
    # Mount propagation: pods with Bidirectional mounts need a shared root,
    # which systemd sets up on most hosts and this one lacks.
    if "shared:" not in _root_mount_options():
        run(["mount", "--make-rshared", "/"])
    # Node agents mount the host's /lib/modules (hostPath type Directory), as
    # every distribution's host has it; this kernel has its drivers built in
    # and no module tree, so an empty one stands in.
    Path("/lib/modules").mkdir(exist_ok=True)


def _root_mount_options() -> str:
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == "/":
            return " ".join(fields[6:fields.index("-")])
    return ""


def cni_namespaces() -> list[str]:
    """Network namespaces the CNI plugins made for pods (containerd names them cni-*)."""
    directory = Path("/run/netns")
    return sorted(p.name for p in directory.glob("cni-*")) if directory.is_dir() else []


def our_chains() -> dict[tuple[str, str], list[str]]:
    """{(command, table): [chain, ...]} of KUBE-*/CNI-* chains still in the host's rules."""
    found = {}
    for command in ("iptables", "ip6tables"):
        for table in ("filter", "nat", "mangle", "raw"):
            try:
                text = output([command + "-save", "-t", table])
            except Exception:
                continue
            chains = [line[1:].split()[0] for line in text.splitlines()
                      if line.startswith(":") and _OUR_CHAIN.match(line[1:])]
            if chains:
                found[(command, table)] = chains
    return found


def sweep() -> None:
    """Remove the pods' namespaces, the bridge and every KUBE-*/CNI-* rule and chain."""
    for name in cni_namespaces():
        run(["ip", "netns", "delete", name], check=False, quiet=True)
    if Path(f"/sys/class/net/{BRIDGE}").exists():
        run(["ip", "link", "delete", BRIDGE], check=False, quiet=True)
    for (command, table), chains in our_chains().items():
        say(f"removing {len(chains)} {command} chains from table {table}")
        # Rule by rule rather than one restore of the table: podman's own
        # rules in the same tables may change meanwhile and must be kept.
        for line in output([command + "-save", "-t", table]).splitlines():
            if line.startswith("-A ") and not _OUR_CHAIN.match(line.split()[1]) and _references_ours(line):
                run([command, "-w", "-t", table, "-D", *shlex.split(line[3:])], check=False, quiet=True)
        for chain in chains:
            run([command, "-w", "-t", table, "-F", chain], check=False, quiet=True)
        for chain in chains:
            run([command, "-w", "-t", table, "-X", chain], check=False, quiet=True)


def _references_ours(rule: str) -> bool:
    words = rule.split()
    if _OUR_CHAIN.match(words[1]):
        return True
    for flag in ("-j", "-g", "--jump", "--goto"):
        if flag in words:
            target = words[words.index(flag) + 1]
            if _OUR_CHAIN.match(target):
                return True
    return False


def host_ip() -> str:
    """The node's address: the source of the default route."""
    route = output(["ip", "-4", "route", "get", "1.1.1.1"])
    match = re.search(r"\bsrc (\S+)", route)
    return match.group(1) if match else "127.0.0.1"


def ensure_dir(path: Path, mode: int = 0o755) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    return path
