"""The region through osh-postrender (Helm 3 and Helm 4, --region=
europe-example-region): the glance, cinder, manila, barbican, designate and
horizon objects stay valid; the storage nodes' services are pinned to their
group's nodes and the rest of them keep off dedicated nodes, as
`osh-postrender place` confirms against an inventory of the region's nodes."""
from __future__ import annotations

import json

import kubernetes_validate
import pytest
import yaml

from tests.charts.conftest import built_chart_tree, documents, region_values
from tests.charts2.conftest_a import hosts_of
from tests.charts2.conftest_b import REGION, SERVICES, by_name, of_service, pod_spec
from tests.conftest import postrender

DEDICATED = {"hypervisor", "network", "swift-storage"}
HOSTNAME = "placement.openstack-helm.org/hostname"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


@pytest.fixture(scope="module")
def rendered(helm, tmp_path_factory) -> str:
    tree = built_chart_tree(helm, tmp_path_factory)
    return tree.rendered(REGION, *helm.post_renderer_args(f"--region={REGION}"))


@pytest.fixture(scope="module")
def ours(rendered) -> list[dict]:
    objects = documents(rendered)
    return [o for s in SERVICES for o in of_service(objects, s)]


def node(name: str, species: str | None = None, zone: str = "europe-example-a") -> dict:
    labels = {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone}
    spec = {}
    if species:
        labels["species"] = species
        if species in DEDICATED:
            spec["taints"] = [{"key": "species", "value": species, "effect": "NoSchedule"}]
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "spec": spec}


def inventory() -> list[dict]:
    """The region's nodes: its hardware lists, plus three control-plane nodes."""
    hardware = region_values()["global"]["hardware"]
    nodes = [node(h, "hypervisor") for h in hosts_of(hardware["hypervisors"])]
    nodes += [node(h, "network") for h in hosts_of(hardware["network_agents"])]
    nodes += [node(h) for h in hosts_of(hardware["volumes"] + hardware["shares"])]
    nodes += [node(f"ctl-00{i}", "master", f"europe-example-{z}")
              for i, z in enumerate("abc", start=1)]
    return nodes


@pytest.mark.parametrize("version", ["1.30.0", "1.33.0"])
def test_post_rendered_objects_pass_kubernetes_validate_strict(ours, version):
    assert len(ours) > 50
    for obj in ours:
        kubernetes_validate.validate(obj, version, strict=True)


def storage_daemonsets(objects: list[dict]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "DaemonSet"}


def test_storage_services_are_pinned_to_their_groups_nodes_and_off_dedicated_ones(ours):
    hardware = region_values()["global"]["hardware"]
    daemonsets = storage_daemonsets(ours)
    pinned = set()
    for daemonset in daemonsets.values():
        hosts = daemonset["metadata"]["annotations"][HOSTNAME].split(",")
        spec = pod_spec(daemonset)
        if len(hosts) == 1:
            assert spec["nodeSelector"] == {"kubernetes.io/hostname": hosts[0]}
        else:
            terms = spec["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]
            assert all({"key": "kubernetes.io/hostname", "operator": "In", "values": hosts}
                       in t["matchExpressions"] for t in terms)
        assert "tolerations" not in spec
        pinned.update(hosts)
    assert pinned == set(hosts_of(hardware["volumes"] + hardware["shares"]))


def test_control_plane_keeps_off_dedicated_nodes_and_tolerates_none(ours):
    checked = 0
    for obj in ours:
        if obj["kind"] not in WORKLOAD_KINDS:
            continue
        spec = pod_spec(obj)
        assert "tolerations" not in spec, obj["metadata"]["name"]
        terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        expressions = [e for t in terms["nodeSelectorTerms"] for e in t["matchExpressions"]]
        assert {"key": "species", "operator": "NotIn",
                "values": sorted(DEDICATED)} in expressions, obj["metadata"]["name"]
        checked += 1
    # 14 Deployments, 3 storage DaemonSets (volume, iscsid, share) and 11 Jobs.
    assert checked == 28


def test_replicated_horizon_is_spread_over_zones(ours):
    spec = pod_spec(by_name(ours, "Deployment", "horizon"))
    [spread] = spec["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] == "horizon"


def test_place_finds_every_workload_a_node_and_the_storage_services_only_theirs(rendered,
                                                                              tmp_path):
    nodes = tmp_path / "nodes.yaml"
    nodes.write_text(yaml.safe_dump_all(inventory()))
    ours_text = "".join(f"---\n{yaml.safe_dump(o)}" for o in documents(rendered)
                        if o["kind"] in WORKLOAD_KINDS and o["metadata"]["labels"].get(
                            "app.kubernetes.io/name") in SERVICES)
    result = postrender(ours_text, "place", "--nodes", str(nodes), "-o", "json")
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    report = {w["name"]: w for w in json.loads(result.stdout)["workloads"]}
    assert len(report) == 28
    for name, daemonset in storage_daemonsets(documents(rendered)).items():
        if name.startswith(("cinder-volume-", "cinder-iscsid-", "manila-share-")):
            assert report[name]["nodes"] == daemonset["metadata"]["annotations"][HOSTNAME].split(",")
    # iscsid lands on exactly the lvm volume services' nodes.
    lvm = sorted(n for name, w in report.items() if name.startswith("cinder-volume-lvm-") for n in w["nodes"])
    iscsid = sorted(n for name, w in report.items() if name.startswith("cinder-iscsid-") for n in w["nodes"])
    assert iscsid == lvm == ["vol-001"]
    controllers = {"ctl-001", "ctl-002", "ctl-003", "vol-001", "share-001"}
    for name, entry in report.items():
        assert entry["problems"] == [], name
        assert set(entry["nodes"]) <= controllers, name
