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


def render(helm, project: Path) -> str:
    return helm.run("template", "r", str(project / "charts" / REGION), "--namespace", "openstack",
                    *helm.post_renderer_args(f"--root={project}", f"--region={REGION}")).stdout


def hardware(values: dict) -> dict[str, list[str]]:
    lists = values["global"]["hardware"]
    return {name: [entry["hostname"] for entry in entries] for name, entries in lists.items()}


def test_region_workloads_land_on_their_species_under_both_helms(helm, project):
    placed = [o for o in objects(render(helm, project)) if podtemplate.pod_spec(o) is not None]
    assert placed
    seen = set()
    for obj in placed:
        spec, labels = podtemplate.pod_spec(obj), podtemplate.template_metadata(obj)["labels"]
        name, component = labels["app.kubernetes.io/name"], labels["app.kubernetes.io/component"]
        pinned = (obj["metadata"].get("annotations") or {}).get(HOSTNAME)
        if pinned:
            assert spec["nodeSelector"]["kubernetes.io/hostname"] == pinned, obj["metadata"]["name"]
        if name == "nova" and component in ("compute", "libvirt"):
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


def test_region_render_fits_an_inventory_built_from_its_hardware_lists(helm4, project, tmp_path):
    values = yaml.safe_load((project / "charts" / REGION / "values.yaml").read_text())
    lists = hardware(values)
    species = {h: "hypervisor" for h in lists.get("hypervisors", [])}
    species.update({h: "network" for h in lists.get("network_agents", [])})
    nodes = []
    for i in range(1, 4):
        species[f"ctl-00{i}"] = "master"
    for group, hosts in lists.items():
        for host in hosts:
            species.setdefault(host, "master")  # volume, share and conductor hosts
    for i, (host, kind) in enumerate(sorted(species.items())):
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": host, "labels": {
            "kubernetes.io/hostname": host, "species": kind,
            "topology.kubernetes.io/zone": f"europe-example-{'abc'[i % 3]}"}}}
        if kind != "master":
            node["spec"] = {"taints": [{"key": "species", "value": kind, "effect": "NoSchedule"}]}
        nodes.append(node)
    inventory = tmp_path / "nodes.yaml"
    inventory.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": nodes}))
    result = postrender(render(helm4, project), "place", "--nodes", str(inventory), "-o", "json")
    assert result.returncode == 0, result.stdout.decode()[-3000:]
    report = json.loads(result.stdout)
    assert report["workloads"] and all(w["nodes"] for w in report["workloads"])
    compute = next(w for w in report["workloads"] if w["name"] == "nova-compute-kvm-001")
    assert compute["nodes"] == ["kvm-001"]
