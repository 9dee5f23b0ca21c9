"""`osh-postrender place --nodes FILE`, run as a command."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, postrender
from tests.placement.helpers import dump_stream, workload

NODES = Path(__file__).parent / "nodes" / "kubectl-get-nodes.yaml"
# The base policy alone (the region's other stages are not what is tested here).
OVERLAY_ARGS = ("--root", str(ROOT), "--overlay", str(Path(__file__).parent / "overlay"))
MASTERS = ["master-1", "master-2", "master-3"]
NOVA = {"app.kubernetes.io/name": "nova", "app.kubernetes.io/component": "compute"}
HV_TOLERATION = {"key": "species", "operator": "Equal", "value": "hypervisor", "effect": "NoSchedule"}
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def place_json(manifests: str, *args: str, nodes: Path = NODES):
    result = postrender(manifests, *args, "place", "--nodes", str(nodes), "-o", "json")
    report = json.loads(result.stdout) if result.stdout else None
    return result, report


def by_name(report):
    return {w["name"]: w for w in report["workloads"]}


def test_placed_region_stream_lands_every_workload_on_its_species():
    stream = dump_stream(
        workload("DaemonSet", "nova-compute", labels=NOVA),
        workload("DaemonSet", "neutron-l3-agent", labels={"app.kubernetes.io/name": "neutron",
                                                          "app.kubernetes.io/component": "l3-agent"}),
        workload("Deployment", "keystone-api", replicas=3),
        workload("Job", "keystone-db-sync"))
    result, report = place_json(stream, *OVERLAY_ARGS)
    assert result.returncode == 0, result.stderr
    got = by_name(report)
    assert got["nova-compute"]["nodes"] == ["hv-1", "hv-2"]
    assert got["neutron-l3-agent"]["nodes"] == ["network-1", "network-2"]
    assert got["keystone-api"]["nodes"] == MASTERS
    assert got["keystone-db-sync"]["nodes"] == MASTERS
    assert all(not w["problems"] for w in report["workloads"])


def test_unplaced_workloads_avoid_tainted_nodes_but_hypervisor_pods_have_nowhere_to_go():
    stream = dump_stream(workload("DaemonSet", "nova-compute", labels=NOVA,
                                  spec={"nodeSelector": {"species": "hypervisor"}}),
                         workload("Deployment", "keystone-api"))
    result, report = place_json(stream)
    assert result.returncode == 5
    got = by_name(report)
    assert got["nova-compute"]["nodes"] == []
    assert got["nova-compute"]["problems"] == ["no eligible node"]
    assert got["nova-compute"]["excluded"]["hv-1"] == ["taint species=hypervisor:NoSchedule"]
    assert got["keystone-api"]["nodes"] == MASTERS and not got["keystone-api"]["problems"]
    assert "1 of 2 workload(s) have placement problems" in result.stderr.decode()


def test_workload_tolerating_a_species_without_selecting_it_may_trespass():
    stream = dump_stream(workload("Deployment", "keystone-api", spec={"tolerations": [HV_TOLERATION]}))
    result, report = place_json(stream)
    assert result.returncode == 5
    [entry] = report["workloads"]
    assert entry["nodes"] == [*MASTERS, "hv-1", "hv-2"]
    assert entry["problems"] == ["may land on node(s) dedicated to species=hypervisor without "
                                 "requiring the node label species=hypervisor: hv-1, hv-2"]


def test_tolerate_everything_with_a_species_selector_is_confined():
    spec = {"tolerations": [{"operator": "Exists"}],
            "affinity": {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "species", "operator": "In", "values": ["network"]}]}]}}}}
    result, report = place_json(dump_stream(workload("DaemonSet", "neutron-ovs", spec=spec)))
    assert result.returncode == 0, result.stdout
    assert report["workloads"][0]["nodes"] == ["network-1", "network-2"]


def test_pinned_hypervisor_pod_is_reported_on_its_one_node():
    obj = workload("Deployment", "nova-compute-hv-2", labels=NOVA,
                   annotations={"placement.openstack-helm.org/hostname": "hv-2"})
    result, report = place_json(dump_stream(obj), *OVERLAY_ARGS)
    assert result.returncode == 0
    assert report["workloads"][0]["nodes"] == ["hv-2"]


def test_default_output_is_a_table_for_people():
    stream = dump_stream(workload("Deployment", "keystone-api"),
                         workload("DaemonSet", "nova-compute", labels=NOVA,
                                  spec={"nodeSelector": {"species": "hypervisor"}}))
    result = postrender(stream, "place", "--nodes", str(NODES))
    lines = result.stdout.decode().splitlines()
    assert lines[0].split() == ["WORKLOAD", "NODES", "PROBLEMS"]
    assert lines[1].split() == ["Deployment/keystone-api", ",".join(MASTERS), "-"]
    assert lines[2].split()[:3] == ["DaemonSet/nova-compute", "-", "no"]
    assert result.returncode == 5


def test_node_file_as_node_list_or_node_stream_gives_the_same_report(tmp_path):
    listing = yaml.safe_load(NODES.read_text())
    node_list = tmp_path / "nodelist.yaml"
    node_list.write_text(yaml.safe_dump({**listing, "kind": "NodeList"}))
    node_stream = tmp_path / "stream.yaml"
    node_stream.write_text(yaml.safe_dump_all(listing["items"]))
    stream = dump_stream(workload("Deployment", "keystone-api"))
    reports = [place_json(stream, nodes=f)[1] for f in (NODES, node_list, node_stream)]
    assert reports[0] == reports[1] == reports[2]
    assert reports[0]["nodes"][0] == "master-1"


@pytest.mark.parametrize("content,reason", [
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "document 1: is a Pod, not a Node"),
    ("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: s}}\n",
     "document 1: items[0]: is a Service, not a Node"),
    ("", "holds no Nodes"),
    ("kind: Node\nmetadata: {labels: {}}\n", "a Node needs metadata.name"),
    ("kind: Node\nmetadata: {name: [x}\n", "invalid YAML"),
])
def test_node_file_not_holding_nodes_is_an_error_with_nothing_on_stdout(tmp_path, content, reason):
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text(content)
    result = postrender(dump_stream(workload("Deployment", "x")), "place", "--nodes", str(nodes))
    assert result.returncode == 3
    assert result.stdout == b""
    assert reason in result.stderr.decode()
    assert str(nodes) in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_missing_node_file_is_a_usage_error():
    result = postrender("", "place", "--nodes", "/nonexistent/nodes.yaml")
    assert result.returncode == 2 and result.stdout == b""
    assert "--nodes /nonexistent/nodes.yaml" in result.stderr.decode()


def test_place_help_describes_the_rules_it_follows():
    result = postrender("", "place", "--help")
    text = result.stdout.decode()
    assert result.returncode == 0
    for word in ("--nodes", "-o", "PreferNoSchedule", "Gt", "dedicated", "exit codes"):
        assert word in text
