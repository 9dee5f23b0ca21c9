"""The project's own region chart, rendered by Helm 3 and 4 through the region's placement policy."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from postrender import podtemplate
from tests.charts.conftest import built_chart_tree
from tests.conftest import ROOT, postrender
from tests.placement.helpers import objects, validate

pytestmark = pytest.mark.e2e

REGION = "europe-example-region"
HOSTNAME = "placement.openstack-helm.org/hostname"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
NOT_DEDICATED = {"key": "species", "operator": "NotIn",
                 "values": ["hypervisor", "network", "swift-storage"]}


@pytest.fixture(scope="module")
def project(tmp_path_factory, helm4) -> Path:
    """The built charts, and a project root holding only the region's placement."""
    root = tmp_path_factory.mktemp("region")
    (root / "charts").symlink_to(built_chart_tree(helm4, tmp_path_factory).root)
    (root / "overlays" / REGION).mkdir(parents=True)
    shutil.copy(ROOT / "overlays" / REGION / "placement.yaml", root / "overlays" / REGION)
    shutil.copytree(ROOT / "placement", root / "placement")
    return root


# A region bigger than the example's, in few node groups, so that groups
# hold several hosts: hypervisors and network nodes listed by name.
HYPERVISORS = [f"kvm-{i:03d}" for i in range(1, 41)]
NETWORK_NODES = [f"net-{i:03d}" for i in range(1, 7)]
GROUPS = 8


@pytest.fixture(scope="module")
def values_file(tmp_path_factory) -> Path:
    region = yaml.safe_load((ROOT / "charts" / REGION / "values.yaml").read_text())
    hardware = region["global"]["hardware"]
    hardware["hypervisors"] = [" ".join(HYPERVISORS)] + [
        e for e in hardware["hypervisors"] if isinstance(e, dict) and e.get("kind", "kvm") != "kvm"]
    hardware["network_agents"] = [" ".join(NETWORK_NODES)]
    path = tmp_path_factory.mktemp("values") / "hardware.yaml"
    path.write_text(yaml.safe_dump({"global": {"node_groups": GROUPS, "hardware": hardware}}))
    return path


def render(helm, project: Path, values: Path) -> str:
    return helm.run("template", "r", str(project / "charts" / REGION), "--namespace", "openstack",
                    "-f", str(values),
                    *helm.post_renderer_args(f"--root={project}", f"--region={REGION}")).stdout


def hardware(values: Path) -> dict[str, list[str]]:
    lists = yaml.safe_load(values.read_text())["global"]["hardware"]
    region = yaml.safe_load((ROOT / "charts" / REGION / "values.yaml").read_text())
    for name, entries in region["global"]["hardware"].items():
        lists.setdefault(name, entries)
    return {name: [h for e in entries for h in (e.split() if isinstance(e, str) else [e["hostname"]])]
            for name, entries in lists.items()}


def pinned_hosts(obj: dict) -> list[str]:
    value = (obj["metadata"].get("annotations") or {}).get(HOSTNAME)
    return value.split(",") if value else []


def test_region_workloads_land_on_their_species_under_both_helms(helm, project, values_file):
    placed = [o for o in objects(render(helm, project, values_file))
              if podtemplate.pod_spec(o) is not None]
    assert placed
    seen, groups = set(), 0
    for obj in placed:
        spec, labels = podtemplate.pod_spec(obj), podtemplate.template_metadata(obj)["labels"]
        name, component = labels["app.kubernetes.io/name"], labels["app.kubernetes.io/component"]
        hosts = pinned_hosts(obj)
        if len(hosts) == 1:
            assert spec["nodeSelector"]["kubernetes.io/hostname"] == hosts[0], obj["metadata"]["name"]
        elif hosts:
            # A node group: its hosts, in every term of the required node affinity.
            groups += 1
            assert "kubernetes.io/hostname" not in spec["nodeSelector"]
            terms = spec["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]
            assert all({"key": "kubernetes.io/hostname", "operator": "In", "values": hosts}
                       in t["matchExpressions"] for t in terms), obj["metadata"]["name"]
        if name == "nova" and component in ("compute", "libvirt", "iscsid"):
            species = "hypervisor"
        elif name == "neutron" and component in ("l3-agent", "dhcp-agent", "metadata-agent",
                                                 "ovs-agent", "openvswitch"):
            species = "hypervisor" if "-hypervisor" in obj["metadata"]["name"] else "network"
        else:
            species = None
        if species:
            seen.add(species)
            assert spec["nodeSelector"]["species"] == species, obj["metadata"]["name"]
            assert {"key": "species", "operator": "Equal", "value": species,
                    "effect": "NoSchedule"} in spec["tolerations"]
        else:
            terms = spec["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]
            assert all(NOT_DEDICATED in t["matchExpressions"] for t in terms), obj["metadata"]["name"]
            assert not spec.get("tolerations")
        validate(obj)
    assert seen == {"hypervisor", "network"}
    assert groups >= GROUPS


def inventory(lists: dict[str, list[str]], extra: tuple[str, ...] = (),
              leave_out: tuple[str, ...] = ()) -> list[dict]:
    """Nodes labelled and tainted as the README says, from the hardware lists."""
    species = {h: "hypervisor" for h in lists["hypervisors"]}
    species.update({h: "network" for h in lists["network_agents"]})
    species.update({h: "hypervisor" for h in extra})
    for i in range(1, 4):
        species[f"ctl-00{i}"] = "master"
    for hosts in lists.values():
        for host in hosts:
            species.setdefault(host, "master")  # volume, share and conductor hosts
    nodes = []
    for i, (host, kind) in enumerate(sorted(species.items())):
        if host in leave_out:
            continue
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": host, "labels": {
            "kubernetes.io/hostname": host, "species": kind,
            "topology.kubernetes.io/zone": f"europe-example-{'abc'[i % 3]}"}}}
        if kind != "master":
            node["spec"] = {"taints": [{"key": "species", "value": kind, "effect": "NoSchedule"}]}
        nodes.append(node)
    return nodes


def place(stream: str, nodes: list[dict], tmp_path: Path):
    path = tmp_path / "nodes.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": nodes}))
    return postrender(stream, "place", "--nodes", str(path), "-o", "json")


@pytest.fixture(scope="module")
def stream(helm4, project, values_file) -> str:
    return render(helm4, project, values_file)


def test_region_render_fits_an_inventory_built_from_its_hardware_lists(stream, values_file,
                                                                        tmp_path):
    lists = hardware(values_file)
    # A node labelled and tainted as a hypervisor but not listed runs nothing.
    result = place(stream, inventory(lists, extra=("kvm-999",)), tmp_path)
    assert result.returncode == 0, result.stdout.decode()[-3000:]
    report = json.loads(result.stdout)
    assert report["workloads"] and all(w["nodes"] for w in report["workloads"])
    by_name = {o["metadata"]["name"]: o for o in objects(stream)}
    computes = [w for w in report["workloads"] if w["name"].startswith("nova-compute-group-")]
    assert len(computes) > 1
    for workload in computes:
        # A DaemonSet runs one pod on each node it may use: its group's hosts, exactly.
        assert sorted(workload["nodes"]) == sorted(pinned_hosts(by_name[workload["name"]]))
    assert sorted(n for w in computes for n in w["nodes"]) == sorted(lists["hypervisors"][:len(HYPERVISORS)])
    # iscsid runs beside every kvm compute (the list is all kvm), on exactly its nodes.
    iscsids = {w["name"].replace("nova-iscsid-", ""): w["nodes"] for w in report["workloads"]
               if w["name"].startswith("nova-iscsid-group-")}
    assert iscsids == {w["name"].replace("nova-compute-", ""): w["nodes"] for w in computes}
    assert not [w["name"] for w in report["workloads"] if "kvm-999" in w["nodes"]]


def test_place_names_a_listed_host_the_cluster_lacks(stream, values_file, tmp_path):
    lists = hardware(values_file)
    result = place(stream, inventory(lists, leave_out=("kvm-007",)), tmp_path)
    assert result.returncode == 5
    report = json.loads(result.stdout)
    failing = {w["name"]: w["problems"] for w in report["workloads"] if w["problems"]}
    group = next(o["metadata"]["name"] for o in objects(stream)
                 if o["metadata"]["name"].startswith("nova-compute-group-")
                 and "kvm-007" in pinned_hosts(o))
    assert group in failing
    assert "kvm-007 (no node has kubernetes.io/hostname=kvm-007)" in failing[group][0]
    assert all(any("kvm-007" in p for p in problems) for problems in failing.values())
