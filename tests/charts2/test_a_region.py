"""europe-example-region, with every chart, through osh-postrender and the
region's overlay dir, with Helm 3 and Helm 4: nova compute and libvirt get
the hypervisor toleration and their group's hosts, the neutron agents the
network toleration (the hypervisors' OVS agents the hypervisor one), the
ironic hosts their group's hosts, neutron's ironic-neutron-agent the control
plane's place, and the example nova and neutron patches are applied by an
init container into copies mounted by the right containers. The output
passes kubernetes-validate strict."""
from __future__ import annotations

import kubernetes_validate
import pytest

from tests.charts.conftest import REGION, documents
from tests.charts2.conftest_a import (CHARTS_A, HOSTNAME_ANNOTATION, hosts_of, pod_spec, values_a,
                                      workloads)
from tests.conftest import ROOT

CHECKSUM = "hotfix.openstack-helm.org/patches-checksum"
NETWORK_AGENTS = ("l3-agent", "dhcp-agent", "metadata-agent", "ovs-agent", "openvswitch")


@pytest.fixture(scope="module")
def placed(tree_a) -> list[dict]:
    return documents(tree_a.rendered(REGION, *tree_a.helm.post_renderer_args(f"--region={REGION}")))


def ours(objects: list[dict]) -> list[dict]:
    return [o for o in objects
            if o["metadata"].get("labels", {}).get("app.kubernetes.io/name") in CHARTS_A]


def hosted(objects: list[dict], service: str, component: str) -> dict[str, dict]:
    """{host: workload} of one service component, for every host of its hostname annotation."""
    out = {}
    for obj in workloads(objects):
        labels = obj["metadata"]["labels"]
        if labels["app.kubernetes.io/name"] == service and labels["app.kubernetes.io/component"] == component:
            hosts = obj["metadata"].get("annotations", {}).get(HOSTNAME_ANNOTATION)
            for host in hosts.split(",") if hosts else [None]:
                out[host] = obj
    return out


def pod_template_annotations(obj: dict) -> dict:
    return obj["spec"]["template"]["metadata"].get("annotations", {})


def tolerated(obj: dict) -> set[str]:
    return {t.get("value") for t in pod_spec(obj).get("tolerations", []) if t.get("key") == "species"}


def pinned_to(obj: dict) -> dict:
    """The pod's nodeSelector, with the hosts of a node group's affinity as one key."""
    spec = pod_spec(obj)
    selector = dict(spec.get("nodeSelector", {}))
    terms = (spec.get("affinity", {}).get("nodeAffinity", {})
             .get("requiredDuringSchedulingIgnoredDuringExecution", {}).get("nodeSelectorTerms", []))
    for term in terms:
        for expression in term.get("matchExpressions", []):
            if expression["key"] == "kubernetes.io/hostname":
                assert expression["operator"] == "In" and "kubernetes.io/hostname" not in selector
                selector["kubernetes.io/hostname in"] = ",".join(expression["values"])
    if "kubernetes.io/hostname" in selector:
        selector["kubernetes.io/hostname in"] = selector.pop("kubernetes.io/hostname")
    return selector


def annotated(obj: dict) -> str:
    return obj["metadata"]["annotations"][HOSTNAME_ANNOTATION]


SITE_PACKAGES = "/var/lib/kolla/venv/lib/python3/site-packages/"


def patch_mounts(obj: dict) -> dict[str, set[str]]:
    """{container: the site-packages entries it mounts a patched copy of} of a workload,
    init containers included (the hot-fix init container mounts none)."""
    spec = pod_spec(obj)
    return {c["name"]: {m["mountPath"][len(SITE_PACKAGES):] for m in c.get("volumeMounts", [])
                        if m["mountPath"].startswith(SITE_PACKAGES)}
            for c in spec.get("initContainers", []) + spec["containers"]}


@pytest.mark.parametrize("version", ["1.30.0", "1.33.0"])
def test_placed_objects_pass_kubernetes_validate_strict(placed, version):
    mine = ours(placed)
    assert len(mine) > 60
    for obj in mine:
        kubernetes_validate.validate(obj, version, strict=True)


def test_nova_compute_libvirt_and_iscsid_get_the_hypervisor_toleration_and_their_node(placed):
    hypervisors = hosts_of(values_a("nova", extra_hardware=False)["global"]["hardware"]["hypervisors"])
    for component in ("compute", "libvirt", "iscsid"):
        found = hosted(placed, "nova", component)
        kvm = [h for h in hypervisors if h != "bm-proxy-001"]
        assert set(found) == set(hypervisors if component == "compute" else kvm)
        for host, obj in found.items():
            assert tolerated(obj) == {"hypervisor"}, obj["metadata"]["name"]
            assert pinned_to(obj) == {"species": "hypervisor", "kubernetes.io/hostname in": annotated(obj)}
            assert host in annotated(obj).split(",")


def test_neutron_agents_get_the_network_toleration_on_network_nodes(placed):
    nodes = hosts_of(values_a("neutron", extra_hardware=False)["global"]["hardware"]["network_agents"])
    for component in NETWORK_AGENTS:
        found = hosted(placed, "neutron", component)
        for host in nodes:
            obj = found[host]
            assert tolerated(obj) == {"network"}, obj["metadata"]["name"]
            assert pinned_to(obj) == {"species": "network", "kubernetes.io/hostname in": annotated(obj)}


def test_the_hypervisors_ovs_agents_get_the_hypervisor_toleration(placed):
    for component in ("ovs-agent", "openvswitch"):
        found = hosted(placed, "neutron", component)
        for host in ("kvm-001", "kvm-002", "kvm-003"):
            obj = found[host]
            assert tolerated(obj) == {"hypervisor"}, obj["metadata"]["name"]
            assert pinned_to(obj) == {"species": "hypervisor", "kubernetes.io/hostname in": annotated(obj)}


def test_ironic_hosts_are_pinned_by_hostname_off_dedicated_nodes(placed):
    for component in ("conductor", "pxe"):
        obj = hosted(placed, "ironic", component)["bm-001"]
        assert tolerated(obj) == set()
        assert pinned_to(obj) == {"kubernetes.io/hostname in": "bm-001"}


def test_control_plane_stays_off_dedicated_nodes(placed):
    for obj in workloads(ours(placed)):
        if obj["metadata"].get("annotations", {}).get(HOSTNAME_ANNOTATION):
            continue
        assert tolerated(obj) == set(), obj["metadata"]["name"]
        terms = pod_spec(obj)["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        expressions = [e for t in terms["nodeSelectorTerms"] for e in t["matchExpressions"]]
        assert {"key": "species", "operator": "NotIn",
                "values": ["hypervisor", "network", "swift-storage"]} in expressions


def test_the_region_binds_bare_metal_ports_with_an_ironic_agent_on_the_control_plane(placed):
    """The region runs Ironic: neutron-server's ML2 loads the baremetal driver,
    and ironic-neutron-agent runs where the control plane does."""
    [ml2] = [o["stringData"]["ml2_conf.ini"] for o in placed
             if o["kind"] == "Secret" and o["metadata"]["name"] == "neutron-etc"]
    assert "\nmechanism_drivers = openvswitch,baremetal,l2population\n" in ml2
    [agent] = [o for o in workloads(ours(placed)) if o["metadata"]["name"] == "neutron-ironic-agent"]
    assert agent["kind"] == "Deployment"
    assert HOSTNAME_ANNOTATION not in agent["metadata"].get("annotations", {})
    assert tolerated(agent) == set()
    terms = pod_spec(agent)["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert all({"key": "species", "operator": "NotIn", "values": ["hypervisor", "network", "swift-storage"]}
               in t["matchExpressions"] for t in terms["nodeSelectorTerms"])
    assert [c["image"].rsplit("/", 1)[1] for c in pod_spec(agent)["containers"]] == \
        ["ironic-neutron-agent:2025.1-ubuntu-noble"]


def test_example_patches_are_applied_for_the_service_containers_only(placed):
    patches = {p.parent.name for p in (ROOT / "patches").glob("*/*.patch")}
    patches |= {p.parent.name for p in (ROOT / "overlays" / REGION / "patches").glob("*/*.patch")}
    assert {"nova", "neutron"} <= patches
    patched = 0
    for obj in workloads(ours(placed)):
        service = obj["metadata"]["labels"]["app.kubernetes.io/name"]
        spec = pod_spec(obj)
        own = {box["name"] for box in spec["containers"]
               if box["image"].rsplit("/", 1)[1].split(":")[0].startswith(f"{service}-")
               and service in patches and "nova-libvirt" not in box["image"]}
        inits = [c for c in spec.get("initContainers", []) if c["name"] == "hotfix"]
        where = obj["metadata"]["name"]
        assert len(inits) == (1 if own else 0), where
        # The chart's own init containers that run the service's image (nova's
        # wait for their Keystone user) see the patched code too; the hot-fix
        # container patches, and mounts none.
        assert patch_mounts(obj) == {**{c["name"]: ({service} if own and c["name"] != "hotfix"
                                                     and c["image"].rsplit("/", 1)[1].startswith(f"{service}-")
                                                     else set())
                                        for c in spec.get("initContainers", [])},
                                     **{box["name"]: ({service} if box["name"] in own else set())
                                        for box in spec["containers"]}}, where
        if own:
            patched += 1
            assert inits[0]["image"] == next(b["image"] for b in spec["containers"] if b["name"] in own)
            assert inits[0]["args"] == [service]
    assert patched >= 15
    computes = hosted(placed, "nova", "compute")
    assert patch_mounts(computes["kvm-001"]) == {"hotfix": set(), "wait-keystone-user": {"nova"},
                                                 "compute": {"nova"}}
    # libvirtd has no nova venv, and rolling it would stop the node's guests.
    libvirt = hosted(placed, "nova", "libvirt")
    assert patch_mounts(libvirt["kvm-001"]) == {"libvirt": set()}
    assert CHECKSUM not in pod_template_annotations(libvirt["kvm-001"])
    agents = hosted(placed, "neutron", "l3-agent")
    assert patch_mounts(agents["net-001"]) == {"hotfix": set(), "l3-agent": {"neutron"}}
    ovs = hosted(placed, "neutron", "openvswitch")
    assert patch_mounts(ovs["net-001"]) == {"ovsdb": set(), "vswitchd": set()}
