"""Where the scheduler put a region's pods, read from the API server: the scale test's checks.

Every check takes objects as the API server returns them (pods, nodes,
DaemonSets, ReplicaSets) and returns findings, one line each; an empty list
means the check holds. A pod's role comes from its app.kubernetes.io labels,
as the README's species say, and never from the placement the post-renderer
wrote: the checks judge that placement. Nothing here talks to a cluster.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

HOSTNAME_ANNOTATION = "placement.openstack-helm.org/hostname"
ZONE_LABEL = "topology.kubernetes.io/zone"
# Taints the node lifecycle controller sets for conditions: they dedicate nothing.
CONDITION_TAINT_PREFIXES = ("node.kubernetes.io/", "node.cloudprovider.kubernetes.io/")

NETWORK_AGENTS = ("l3-agent", "dhcp-agent", "metadata-agent", "ovs-agent", "openvswitch")


def role(pod: dict, owner_name: str) -> str:
    """hypervisor, network or control (everything else: APIs, infra, Jobs, volume hosts)."""
    labels = pod["metadata"].get("labels") or {}
    name, component = labels.get("app.kubernetes.io/name"), labels.get("app.kubernetes.io/component")
    if name == "nova" and component in ("compute", "libvirt", "iscsid"):
        return "hypervisor"
    if name == "neutron" and component in NETWORK_AGENTS:
        if component in ("ovs-agent", "openvswitch") and "-hypervisor" in owner_name:
            return "hypervisor"
        return "network"
    return "control"


def owners(pods: list[dict], replicasets: list[dict]) -> dict[str, tuple[str, str]]:
    """{pod name: (kind, name) of the workload it belongs to}; a ReplicaSet's pods, its Deployment."""
    rs_owner = {}
    for rs in replicasets:
        refs = [r for r in rs["metadata"].get("ownerReferences") or () if r.get("controller")]
        rs_owner[rs["metadata"]["name"]] = (refs[0]["kind"], refs[0]["name"]) if refs \
            else ("ReplicaSet", rs["metadata"]["name"])
    result = {}
    for pod in pods:
        refs = [r for r in pod["metadata"].get("ownerReferences") or () if r.get("controller")]
        if not refs:
            result[pod["metadata"]["name"]] = ("Pod", pod["metadata"]["name"])
        elif refs[0]["kind"] == "ReplicaSet":
            result[pod["metadata"]["name"]] = rs_owner.get(refs[0]["name"], ("ReplicaSet", refs[0]["name"]))
        else:
            result[pod["metadata"]["name"]] = (refs[0]["kind"], refs[0]["name"])
    return result


def expected_pods(objects: list[dict]) -> tuple[int, list[str]]:
    """How many pods a release's workloads make: (count, workloads whose count the manifest
    does not tell). A DaemonSet pinned to hosts makes one on each; a Job, its completions."""
    count, unknown = 0, []
    for obj in objects:
        kind, spec = obj.get("kind"), obj.get("spec") or {}
        if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
            count += spec.get("replicas", 1)
        elif kind == "Job":
            count += spec.get("completions") or 1
        elif kind == "DaemonSet":
            hosts = (obj["metadata"].get("annotations") or {}).get(HOSTNAME_ANNOTATION)
            if hosts:
                count += len([h for h in hosts.split(",") if h.strip()])
            else:
                unknown.append(f"DaemonSet/{obj['metadata']['name']}")
        elif kind == "Pod":
            count += 1
    return count, unknown


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def bound_at(pod: dict) -> datetime | None:
    """When the pod was bound: its PodScheduled condition turning True."""
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if condition["type"] == "PodScheduled" and condition["status"] == "True":
            return _time(condition["lastTransitionTime"])
    return None


def created_at(pod: dict) -> datetime:
    return _time(pod["metadata"]["creationTimestamp"])


def scheduling_waits(pods: list[dict]) -> list[float]:
    """Seconds from each bound pod's creation to its binding (the API server's whole seconds)."""
    waits = []
    for pod in pods:
        when = bound_at(pod)
        if when is not None:
            waits.append((when - created_at(pod)).total_seconds())
    return waits


def pending_reason(pod: dict) -> str:
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if condition["type"] == "PodScheduled" and condition["status"] != "True":
            return condition.get("message") or condition.get("reason") or "not scheduled"
    return "not scheduled yet"


def unbound(pods: list[dict]) -> list[str]:
    return [f"{pod['metadata']['name']}: Pending ({pending_reason(pod)})"
            for pod in pods if not pod["spec"].get("nodeName")]


def late(pods: list[dict], since: datetime, limit: float) -> list[str]:
    """Pods bound more than `limit` seconds after `since` (helm install returning)."""
    found = []
    for pod in pods:
        when = bound_at(pod)
        if when is not None and (when - since).total_seconds() > limit:
            found.append(f"{pod['metadata']['name']}: bound {(when - since).total_seconds():.0f} s "
                         f"after helm install returned (limit {limit:.0f} s)")
    return found


def _by_name(objects: list[dict]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects}


def dedicated_taints(node: dict) -> list[dict]:
    return [t for t in (node.get("spec") or {}).get("taints") or ()
            if t.get("effect") in ("NoSchedule", "NoExecute")
            and not t.get("key", "").startswith(CONDITION_TAINT_PREFIXES)]


def pinned(pods: list[dict], nodes: list[dict], daemonsets: list[dict],
           owner_of: dict[str, tuple[str, str]]) -> list[str]:
    """A DaemonSet pinned to hosts runs exactly one pod on each of them, and none elsewhere."""
    node_names = set(_by_name(nodes))
    on_hosts: dict[str, Counter] = defaultdict(Counter)
    for pod in pods:
        kind, name = owner_of[pod["metadata"]["name"]]
        if kind == "DaemonSet" and pod["spec"].get("nodeName"):
            on_hosts[name][pod["spec"]["nodeName"]] += 1
    found = []
    for ds in daemonsets:
        name = ds["metadata"]["name"]
        annotation = (ds["metadata"].get("annotations") or {}).get(HOSTNAME_ANNOTATION)
        if not annotation:
            continue
        hosts = [h.strip() for h in annotation.split(",") if h.strip()]
        counts = on_hosts.get(name, Counter())
        for host in hosts:
            if host not in node_names:
                found.append(f"DaemonSet/{name}: pinned to {host}, which is not a node")
            elif counts[host] != 1:
                found.append(f"DaemonSet/{name}: {counts[host]} pods on its host {host}")
        for node, count in sorted(counts.items()):
            if node not in hosts:
                found.append(f"DaemonSet/{name}: {count} pod(s) on {node}, not one of its hosts")
    return found


def species(pods: list[dict], nodes: list[dict], owner_of: dict[str, tuple[str, str]]) -> list[str]:
    """Hypervisor pods on hypervisors, network agents on network nodes, the rest on no dedicated node."""
    by_name = _by_name(nodes)
    found = []
    for pod in pods:
        node_name = pod["spec"].get("nodeName")
        if not node_name:
            continue
        node = by_name.get(node_name)
        if node is None:
            found.append(f"{pod['metadata']['name']}: on {node_name}, which is not a node")
            continue
        kind, owner = owner_of[pod["metadata"]["name"]]
        want = role(pod, owner)
        have = (node["metadata"].get("labels") or {}).get("species")
        if want == "control":
            taints = dedicated_taints(node)
            if taints:
                owners_ = ", ".join(f"{t['key']}={t.get('value', '')}" for t in taints)
                found.append(f"{pod['metadata']['name']} ({kind}/{owner}): a control-plane pod "
                             f"on {node_name}, dedicated to {owners_}")
        elif have != want:
            found.append(f"{pod['metadata']['name']} ({kind}/{owner}): a {want} pod on "
                         f"{node_name}, whose species is {have or 'none'}")
    return found


def zone_spread(pods: list[dict], nodes: list[dict], owner_of: dict[str, tuple[str, str]],
                max_skew: int = 1) -> list[str]:
    """Replicated control-plane workloads (Deployments, StatefulSets) spread over every zone.

    Skew is the most pods in one zone less the fewest in any zone of the
    cluster; a workload with at least as many pods as zones uses them all.
    """
    zone_of = {name: (node["metadata"].get("labels") or {}).get(ZONE_LABEL)
               for name, node in _by_name(nodes).items()}
    zones = sorted({z for z in zone_of.values() if z})
    per_workload: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for pod in pods:
        kind, owner = owner_of[pod["metadata"]["name"]]
        node_name = pod["spec"].get("nodeName")
        if kind in ("Deployment", "StatefulSet") and node_name and role(pod, owner) == "control":
            per_workload[(kind, owner)][zone_of.get(node_name)] += 1
    found = []
    for (kind, owner), counts in sorted(per_workload.items()):
        total = sum(counts.values())
        if total < 2 or not zones:
            continue
        spread = [counts.get(z, 0) for z in zones]
        skew = max(spread) - min(spread)
        used = sum(1 for c in spread if c)
        if skew > max_skew or used < min(total, len(zones)):
            found.append(f"{kind}/{owner}: {total} pods over zones "
                         f"{', '.join(f'{z}={c}' for z, c in zip(zones, spread))} (skew {skew})")
    return found


def against_place(pods: list[dict], owner_of: dict[str, tuple[str, str]], report: dict) -> list[str]:
    """The differential: for every pod, `osh-postrender place` lists the node the scheduler chose,
    and every pod left Pending belongs to a workload place finds no eligible node for."""
    workloads = {(w["kind"], w["name"]): w for w in report["workloads"]}
    found = []
    for pod in pods:
        name = pod["metadata"]["name"]
        kind, owner = owner_of[name]
        entry = workloads.get((kind, owner))
        if entry is None:
            found.append(f"{name}: its {kind}/{owner} is not in place's report")
            continue
        node = pod["spec"].get("nodeName")
        if node:
            if node not in entry["nodes"]:
                why = "; ".join(entry.get("excluded", {}).get(node, ())) or "not a node it knows"
                found.append(f"{name}: the scheduler chose {node}, which place excludes for "
                             f"{kind}/{owner}: {why}")
        elif "no eligible node" not in entry["problems"]:
            found.append(f"{name}: Pending ({pending_reason(pod)}), but place lists "
                         f"{len(entry['nodes'])} node(s) for {kind}/{owner}")
    return found


def roles(pods: list[dict], owner_of: dict[str, tuple[str, str]]) -> Counter:
    return Counter(role(pod, owner_of[pod["metadata"]["name"]][1]) for pod in pods)
