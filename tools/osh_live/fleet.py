"""The scale test's simulated nodes: one Node for each host a region's hardware lists name.

Hosts are labelled and tainted as the README tells operators: a hypervisor
or a network node is dedicated (`species=<name>` label and NoSchedule
taint), a volume, share or Ironic conductor host is labelled only, and the
control-plane nodes carry `species=master`. Hosts take the zone their entry
names, else one of three in turn, and an address of its own. Pure: it
builds the objects, and never talks to a cluster.
"""
from __future__ import annotations

import ipaddress
import re

ZONES = ("europe-example-a", "europe-example-b", "europe-example-c")
ZONE_LABEL = "topology.kubernetes.io/zone"
# KWOK manages the nodes that carry this annotation (its own convention).
KWOK_ANNOTATION = "kwok.x-k8s.io/node"
# Which hardware list makes a host dedicated to which species (placement/base.yaml).
DEDICATED = {"hypervisors": "hypervisor", "network_agents": "network"}
# A large server: room for what the region puts on a host, as a kubelet would report it.
CAPACITY = {"cpu": "64", "memory": "512Gi", "pods": "110", "ephemeral-storage": "1Ti"}
# Node addresses. KWOK gives a host-network pod its node's address; without
# one the pod gets none, and KWOK's pod-ready stage, which waits for the
# pod to have an address, patches such a pod again and again.
NODE_NETWORK = ipaddress.ip_network("10.32.0.0/16")


def hosts(entries: list) -> list[tuple[str, str | None]]:
    """(hostname, zone or None) of each host of one hardware list, in order.

    An entry is a mapping with `hostname` (and maybe `zone`), or a string of
    hostnames separated by white space, as the charts read them.
    """
    found = []
    for entry in entries or ():
        if isinstance(entry, str):
            found += [(name, None) for name in re.split(r"\s+", entry.strip()) if name]
        else:
            found.append((entry["hostname"], entry.get("zone")))
    return found


def node(name: str, zone: str, address: str, species: str | None = None,
         dedicated: bool = False, extra_labels: dict | None = None) -> dict:
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64", ZONE_LABEL: zone, "type": "kwok"}
    if species:
        labels["species"] = species
    labels.update(extra_labels or {})
    spec = {}
    if dedicated:
        spec["taints"] = [{"key": "species", "value": species, "effect": "NoSchedule"}]
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels,
                         "annotations": {KWOK_ANNOTATION: "fake"}},
            "spec": spec,
            "status": {"capacity": dict(CAPACITY), "allocatable": dict(CAPACITY),
                       "addresses": [{"type": "InternalIP", "address": address},
                                     {"type": "Hostname", "address": name}]}}


def nodes(hardware: dict, control_nodes: int = 5) -> list[dict]:
    """The Nodes for a region's `global.hardware`, and its control-plane nodes.

    A host listed twice (in two lists) is one node; a dedicated list wins.
    """
    made: dict[str, dict] = {}
    turn = 0
    for key in sorted(hardware, key=lambda k: (k not in DEDICATED, k)):
        species = DEDICATED.get(key)
        for name, zone in hosts(hardware[key]):
            if name in made:
                continue
            if zone is None:
                zone, turn = ZONES[turn % len(ZONES)], turn + 1
            made[name] = node(name, zone, str(NODE_NETWORK[len(made) + 1]), species,
                              dedicated=species is not None)
    for index in range(1, control_nodes + 1):
        name = f"control-{index}"
        made[name] = node(name, ZONES[(index - 1) % len(ZONES)], str(NODE_NETWORK[len(made) + 1]),
                          "master", extra_labels={"node-role.kubernetes.io/control-plane": ""})
    return list(made.values())
