"""tools/live scale without a cluster: the simulated nodes, and the checks on bindings."""
from datetime import datetime, timedelta, timezone

from osh_live import bindings, fleet

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _labels(node):
    return node["metadata"]["labels"]


def test_fleet_taints_and_labels_dedicated_hosts_as_the_readme_tells_operators():
    hardware = {"hypervisors": ["kvm-0001 kvm-0002"], "network_agents": ["net-0001"],
                "volumes": [{"hostname": "vol-0001", "zone": "europe-example-c"}]}
    nodes = {n["metadata"]["name"]: n for n in fleet.nodes(hardware, control_nodes=2)}
    assert set(nodes) == {"kvm-0001", "kvm-0002", "net-0001", "vol-0001", "control-1", "control-2"}
    assert nodes["kvm-0001"]["spec"]["taints"] == [
        {"key": "species", "value": "hypervisor", "effect": "NoSchedule"}]
    assert _labels(nodes["kvm-0001"])["species"] == "hypervisor"
    assert nodes["net-0001"]["spec"]["taints"][0]["value"] == "network"
    assert _labels(nodes["net-0001"])["species"] == "network"
    assert "taints" not in nodes["vol-0001"]["spec"] and "species" not in _labels(nodes["vol-0001"])
    assert _labels(nodes["control-1"])["species"] == "master"
    assert "taints" not in nodes["control-1"]["spec"]
    assert all(_labels(n)["kubernetes.io/hostname"] == name for name, n in nodes.items())
    assert all(n["metadata"]["annotations"] == {fleet.KWOK_ANNOTATION: "fake"} for n in nodes.values())


def test_fleet_spreads_hosts_without_a_zone_over_three_zones_and_keeps_a_given_zone():
    hardware = {"hypervisors": [" ".join(f"kvm-{i:04d}" for i in range(1, 301))],
                "volumes": [{"hostname": "vol-0001", "zone": "europe-example-c"}]}
    nodes = fleet.nodes(hardware, control_nodes=5)
    zones = [_labels(n)[fleet.ZONE_LABEL] for n in nodes if n["metadata"]["name"].startswith("kvm")]
    assert sorted(set(zones)) == list(fleet.ZONES)
    assert max(zones.count(z) for z in fleet.ZONES) - min(zones.count(z) for z in fleet.ZONES) <= 1
    control = [_labels(n)[fleet.ZONE_LABEL] for n in nodes if n["metadata"]["name"].startswith("control")]
    assert set(control) == set(fleet.ZONES)
    vol = next(n for n in nodes if n["metadata"]["name"] == "vol-0001")
    assert _labels(vol)[fleet.ZONE_LABEL] == "europe-example-c"


def test_fleet_makes_one_node_of_a_host_listed_twice_and_a_dedicated_list_wins():
    hardware = {"volumes": ["kvm-0001"], "hypervisors": [{"hostname": "kvm-0001"}]}
    nodes = fleet.nodes(hardware, control_nodes=0)
    assert len(nodes) == 1 and _labels(nodes[0])["species"] == "hypervisor"


def test_fleet_reads_host_strings_as_the_charts_do():
    assert fleet.hosts(["  a b\n c\t", {"hostname": "d", "zone": "z"}]) == [
        ("a", None), ("b", None), ("c", None), ("d", "z")]


# --- bindings -----------------------------------------------------------------------

def node(name, species=None, zone="a", dedicated=None):
    labels = {"kubernetes.io/hostname": name, fleet.ZONE_LABEL: zone}
    if species:
        labels["species"] = species
    spec = {}
    if dedicated:
        spec["taints"] = [{"key": "species", "value": dedicated, "effect": "NoSchedule"}]
    return {"metadata": {"name": name, "labels": labels}, "spec": spec}


def pod(name, owner_kind, owner, node_name=None, app="keystone", component="api", bound=T0):
    conditions = []
    if node_name:
        conditions.append({"type": "PodScheduled", "status": "True",
                           "lastTransitionTime": bound.isoformat().replace("+00:00", "Z")})
    else:
        conditions.append({"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                           "message": "0/3 nodes are available"})
    return {"metadata": {"name": name, "creationTimestamp": "2026-01-01T00:00:00Z",
                         "labels": {"app.kubernetes.io/name": app,
                                    "app.kubernetes.io/component": component},
                         "ownerReferences": [{"kind": owner_kind, "name": owner, "controller": True}]},
            "spec": {"nodeName": node_name} if node_name else {},
            "status": {"conditions": conditions}}


def daemonset(name, hosts):
    return {"metadata": {"name": name, "annotations": {bindings.HOSTNAME_ANNOTATION: ",".join(hosts)}}}


NODES = [node("kvm-1", "hypervisor", "a", "hypervisor"), node("kvm-2", "hypervisor", "b", "hypervisor"),
         node("net-1", "network", "a", "network"), node("control-1", "master", "a"),
         node("control-2", "master", "b"), node("control-3", "master", "c")]


def test_owners_follow_a_replicaset_to_its_deployment():
    rs = {"metadata": {"name": "keystone-api-5d8", "ownerReferences": [
        {"kind": "Deployment", "name": "keystone-api", "controller": True}]}}
    pods = [pod("keystone-api-5d8-x", "ReplicaSet", "keystone-api-5d8"),
            pod("nova-compute-group-07-abc", "DaemonSet", "nova-compute-group-07")]
    assert bindings.owners(pods, [rs]) == {
        "keystone-api-5d8-x": ("Deployment", "keystone-api"),
        "nova-compute-group-07-abc": ("DaemonSet", "nova-compute-group-07")}


def test_roles_follow_the_readme_species():
    ovs_hv = pod("p", "DaemonSet", "neutron-ovs-agent-hypervisor-group-01", app="neutron",
                 component="ovs-agent")
    ovs_net = pod("q", "DaemonSet", "neutron-ovs-agent-group-01", app="neutron", component="ovs-agent")
    assert bindings.role(ovs_hv, "neutron-ovs-agent-hypervisor-group-01") == "hypervisor"
    assert bindings.role(ovs_net, "neutron-ovs-agent-group-01") == "network"
    assert bindings.role(pod("r", "DaemonSet", "x", app="nova", component="libvirt"), "x") == "hypervisor"
    assert bindings.role(pod("i", "DaemonSet", "x", app="nova", component="iscsid"), "x") == "hypervisor"
    assert bindings.role(pod("j", "DaemonSet", "x", app="cinder", component="iscsid"), "x") == "control"
    assert bindings.role(pod("s", "DaemonSet", "x", app="cinder", component="volume"), "x") == "control"


def test_a_pending_pod_and_a_late_binding_are_found():
    pods = [pod("a", "Job", "j", "control-1", bound=T0 + timedelta(seconds=601)), pod("b", "Job", "k")]
    assert bindings.unbound(pods) == ["b: Pending (0/3 nodes are available)"]
    assert bindings.late(pods, T0, 600) == [
        "a: bound 601 s after helm install returned (limit 600 s)"]
    assert bindings.late(pods, T0, 602) == []


def test_a_group_daemonset_runs_one_pod_on_each_of_its_hosts_and_none_elsewhere():
    ds = [daemonset("nova-compute-group-01", ["kvm-1", "kvm-2"])]
    good = [pod("c1", "DaemonSet", "nova-compute-group-01", "kvm-1", "nova", "compute"),
            pod("c2", "DaemonSet", "nova-compute-group-01", "kvm-2", "nova", "compute")]
    assert bindings.pinned(good, NODES, ds, bindings.owners(good, [])) == []
    bad = [good[0], pod("c3", "DaemonSet", "nova-compute-group-01", "net-1", "nova", "compute")]
    assert bindings.pinned(bad, NODES, ds, bindings.owners(bad, [])) == [
        "DaemonSet/nova-compute-group-01: 0 pods on its host kvm-2",
        "DaemonSet/nova-compute-group-01: 1 pod(s) on net-1, not one of its hosts"]
    missing = [daemonset("nova-compute-group-01", ["kvm-9"])]
    assert bindings.pinned([], NODES, missing, {}) == [
        "DaemonSet/nova-compute-group-01: pinned to kvm-9, which is not a node"]


def test_species_finds_agents_off_their_nodes_and_control_pods_on_dedicated_ones():
    pods = [pod("ok-hv", "DaemonSet", "nova-libvirt-group-01", "kvm-1", "nova", "libvirt"),
            pod("ok-net", "DaemonSet", "neutron-l3-agent-group-01", "net-1", "neutron", "l3-agent"),
            pod("ok-api", "ReplicaSet", "keystone-api-1", "control-1"),
            pod("bad-net", "DaemonSet", "neutron-dhcp-agent-group-01", "control-2", "neutron",
                "dhcp-agent"),
            pod("bad-api", "Job", "keystone-db-sync", "kvm-2")]
    found = bindings.species(pods, NODES, bindings.owners(pods, []))
    assert found == [
        "bad-net (DaemonSet/neutron-dhcp-agent-group-01): a network pod on control-2, whose species is master",
        "bad-api (Job/keystone-db-sync): a control-plane pod on kvm-2, dedicated to species=hypervisor"]


def test_zone_spread_wants_every_zone_and_a_skew_of_at_most_one():
    spread = [pod(f"k{i}", "StatefulSet", "keystone", f"control-{i}") for i in (1, 2, 3)]
    assert bindings.zone_spread(spread, NODES, bindings.owners(spread, [])) == []
    piled = [pod(f"k{i}", "StatefulSet", "keystone", n) for i, n in
             enumerate(("control-1", "control-1", "control-2"))]
    assert bindings.zone_spread(piled, NODES, bindings.owners(piled, [])) == [
        "StatefulSet/keystone: 3 pods over zones a=2, b=1, c=0 (skew 2)"]
    single = [pod("m", "StatefulSet", "mariadb", "control-1")]
    assert bindings.zone_spread(single, NODES, bindings.owners(single, [])) == []


def test_the_differential_wants_the_chosen_node_in_place_and_pending_pods_without_one():
    report = {"workloads": [
        {"kind": "Deployment", "name": "keystone-api", "nodes": ["control-1", "control-2"],
         "problems": [], "excluded": {"kvm-1": ["taint species=hypervisor:NoSchedule"]}},
        {"kind": "Job", "name": "stuck", "nodes": [], "problems": ["no eligible node"]},
        {"kind": "Job", "name": "waits", "nodes": ["control-1"], "problems": []}]}
    rs = [{"metadata": {"name": "keystone-api-1", "ownerReferences": [
        {"kind": "Deployment", "name": "keystone-api", "controller": True}]}}]
    pods = [pod("a", "ReplicaSet", "keystone-api-1", "control-2"),
            pod("b", "ReplicaSet", "keystone-api-1", "kvm-1"),
            pod("c", "Job", "stuck"), pod("d", "Job", "waits"), pod("e", "Job", "unknown", "control-1")]
    assert bindings.against_place(pods, bindings.owners(pods, rs), report) == [
        "b: the scheduler chose kvm-1, which place excludes for Deployment/keystone-api: "
        "taint species=hypervisor:NoSchedule",
        "d: Pending (0/3 nodes are available), but place lists 1 node(s) for Job/waits",
        "e: its Job/unknown is not in place's report"]


def test_expected_pods_counts_replicas_jobs_and_one_pod_on_each_pinned_host():
    objects = [
        {"kind": "Deployment", "metadata": {"name": "a"}, "spec": {"replicas": 3}},
        {"kind": "StatefulSet", "metadata": {"name": "b"}, "spec": {}},
        {"kind": "Job", "metadata": {"name": "c"}, "spec": {"completions": 2}},
        {"kind": "Job", "metadata": {"name": "d"}, "spec": {}},
        daemonset("e", ["kvm-1", "kvm-2", "kvm-3"]) | {"kind": "DaemonSet"},
        {"kind": "DaemonSet", "metadata": {"name": "f"}, "spec": {}},
        {"kind": "Service", "metadata": {"name": "g"}, "spec": {}}]
    assert bindings.expected_pods(objects) == (3 + 1 + 2 + 1 + 3, ["DaemonSet/f"])


def test_scheduling_waits_run_from_creation_to_binding_of_bound_pods_only():
    pods = [pod("a", "Job", "j", "control-1", bound=T0 + timedelta(seconds=3)), pod("b", "Job", "k")]
    assert bindings.scheduling_waits(pods) == [3.0]


def test_every_node_has_an_address_of_its_own_for_kwok_to_give_host_network_pods():
    hardware = {"hypervisors": [" ".join(f"kvm-{i:04d}" for i in range(1, 1001))],
                "network_agents": ["net-0001"]}
    nodes = fleet.nodes(hardware, control_nodes=5)
    addresses = [next(a["address"] for a in n["status"]["addresses"] if a["type"] == "InternalIP")
                 for n in nodes]
    assert len(set(addresses)) == len(nodes) == 1006
    assert all(ip.startswith("10.32.") for ip in addresses)
