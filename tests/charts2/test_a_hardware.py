"""Hardware workloads come from the region's lists, one per entry, annotated
with the node they are pinned to; bad entries fail the render with a message
naming the list entry. Helm 3 and Helm 4."""
from __future__ import annotations

import pytest

from tests.charts2.conftest_a import (HOSTNAME_ANNOTATION, kolla_command,
                                      kolla_files, named, pod_spec, render, template, values_a,
                                      with_hardware, workloads)
from tests.charts.conftest import values_in_region

NETWORK_COMPONENTS = ("l3-agent", "dhcp-agent", "metadata-agent", "ovs-agent", "openvswitch")


@pytest.fixture(scope="module")
def rendered(tree_a, tmp_path_factory) -> dict[str, list[dict]]:
    workdir = tmp_path_factory.mktemp("hardware-a")
    return {name: render(tree_a, name, values_a(name), workdir)
            for name in ("nova", "neutron", "ironic")}


def hardware(name: str, key: str) -> list[dict]:
    return values_a(name)["global"]["hardware"][key]


def pinned(objects: list[dict]) -> dict[tuple[str, str], dict]:
    """{(component, hostname): workload} of every workload pinned by annotation."""
    out = {}
    for obj in workloads(objects):
        host = obj["metadata"].get("annotations", {}).get(HOSTNAME_ANNOTATION)
        if host:
            key = (obj["metadata"]["labels"]["app.kubernetes.io/component"], host)
            assert key not in out, f"two {key} workloads"
            out[key] = obj
    return out


def test_every_kvm_hypervisor_gets_a_privileged_compute_and_libvirt_daemonset(rendered):
    kvm = [h["hostname"] for h in hardware("nova", "hypervisors") if h.get("kind", "kvm") == "kvm"]
    assert kvm == ["kvm-001", "kvm-002", "kvm-003"]
    by_host = pinned(rendered["nova"])
    for host in kvm:
        for component in ("compute", "libvirt"):
            ds = by_host[(component, host)]
            assert ds["kind"] == "DaemonSet" and ds["metadata"]["name"] == f"nova-{component}-{host}"
            spec = pod_spec(ds)
            assert spec["hostNetwork"] and spec["hostPID"]
            assert spec["dnsPolicy"] == "ClusterFirstWithHostNet"
            assert spec["containers"][0]["securityContext"]["privileged"] is True
            paths = {v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
            assert {"/var/lib/nova", "/run/libvirt", "/var/lib/libvirt"} <= paths
            assert ds["spec"]["template"]["metadata"]["labels"]["openstack-helm.org/hypervisor-kind"] == "kvm"


def test_vmware_and_ironic_hypervisors_get_a_single_replica_compute_deployment(rendered):
    objects = rendered["nova"]
    by_host = pinned(objects)
    for host, kind, image in [("vc-proxy-001", "vmware", "nova-compute"),
                              ("bm-proxy-001", "ironic", "nova-compute-ironic")]:
        deployment = by_host[("compute", host)]
        assert deployment["kind"] == "Deployment"
        assert deployment["spec"]["replicas"] == 1
        # Two computes with one host name must never overlap.
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}
        spec = pod_spec(deployment)
        assert "hostNetwork" not in spec and "privileged" not in str(spec)
        assert spec["containers"][0]["image"].split("/")[-1].split(":")[0] == image
        assert ("libvirt", host) not in by_host
        host_conf = kolla_files(objects, deployment)["nova-compute-host.conf"]
        assert f"host = {host}\n" in host_conf
    vmware = kolla_files(objects, by_host[("compute", "vc-proxy-001")])["nova-compute-host.conf"]
    assert "compute_driver = vmwareapi.VMwareVCDriver" in vmware and "host_password = vmware-secret-pw" in vmware
    ironic = kolla_files(objects, by_host[("compute", "bm-proxy-001")])["nova-compute-host.conf"]
    assert "compute_driver = ironic.IronicDriver" in ironic and "[ironic]" in ironic


def test_each_compute_loads_its_own_host_config_after_the_common_one(rendered):
    objects = rendered["nova"]
    compute = pinned(objects)[("compute", "kvm-002")]
    files = kolla_files(objects, compute)
    assert "host = kvm-002\ncompute_driver = libvirt.LibvirtDriver" in files["nova-compute-host.conf"]
    assert kolla_command(objects, compute) == ("nova-compute --config-file /etc/nova/nova.conf "
                                               "--config-file /etc/nova/nova-compute-host.conf")


def test_adding_a_hypervisor_rolls_no_other_hypervisor(tree_a, rendered, tmp_path):
    values = values_a("nova")
    values["global"]["hardware"]["hypervisors"].append({"hostname": "kvm-004"})
    grown = render(tree_a, "nova", values, tmp_path)
    before, after = pinned(rendered["nova"]), pinned(grown)
    assert ("compute", "kvm-004") in after
    for key, obj in before.items():
        assert obj["spec"]["template"] == after[key]["spec"]["template"], key


def test_every_network_node_gets_all_agents_and_openvswitch(rendered):
    nodes = [n["hostname"] for n in hardware("neutron", "network_agents")]
    assert nodes == ["net-001", "net-002", "net-003"]
    by_host = pinned(rendered["neutron"])
    for host in nodes:
        for component in NETWORK_COMPONENTS:
            ds = by_host[(component, host)]
            assert ds["kind"] == "DaemonSet" and ds["metadata"]["name"] == f"neutron-{component}-{host}"
            assert ds["metadata"]["labels"]["openstack-helm.org/species"] == "network"
    assert len([k for k in by_host if k[1] in nodes]) == len(nodes) * len(NETWORK_COMPONENTS)


def test_every_kvm_hypervisor_gets_an_ovs_agent_and_openvswitch_told_apart_by_name(rendered):
    by_host = pinned(rendered["neutron"])
    for host in ("kvm-001", "kvm-002", "kvm-003"):
        for component in ("ovs-agent", "openvswitch"):
            ds = by_host[(component, host)]
            # placement/base.yaml matches the hypervisor ones by this name.
            assert ds["metadata"]["name"] == f"neutron-{component}-hypervisor-{host}"
            assert ds["metadata"]["labels"]["openstack-helm.org/species"] == "hypervisor"
        for component in ("l3-agent", "dhcp-agent", "metadata-agent"):
            assert (component, host) not in by_host
    # vmware and ironic computes plug no VIFs into a local Open vSwitch.
    assert not [k for k in by_host if k[1] in ("vc-proxy-001", "bm-proxy-001")]


def test_ovs_agent_tunnels_from_the_entry_tunnel_ip_or_the_node_ip(rendered):
    by_host = pinned(rendered["neutron"])
    env = {e["name"]: e for e in pod_spec(by_host[("ovs-agent", "net-003")])["containers"][0]["env"]}
    assert env["TUNNEL_IP"]["value"] == "10.20.8.3"
    assert env["OVS_EXTERNAL_INTERFACE"]["value"] == "eno2"
    assert env["OVS_BRIDGES"]["value"] == "br-ex"
    env = {e["name"]: e for e in pod_spec(by_host[("ovs-agent", "net-001")])["containers"][0]["env"]}
    assert env["TUNNEL_IP"]["valueFrom"] == {"fieldRef": {"fieldPath": "status.hostIP"}}
    assert "OVS_EXTERNAL_INTERFACE" not in env


def test_l3_and_dhcp_agents_share_the_host_network_namespaces(rendered):
    by_host = pinned(rendered["neutron"])
    for component in ("l3-agent", "dhcp-agent"):
        spec = pod_spec(by_host[(component, "net-001")])
        assert spec["hostNetwork"] is True
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["mountPath"] == "/run/netns")
        assert mount["mountPropagation"] == "Bidirectional"
        assert spec["containers"][0]["securityContext"]["privileged"] is True


def test_each_conductor_host_gets_a_conductor_and_pxe_servers_sharing_its_boot_dir(rendered):
    objects = rendered["ironic"]
    by_host = pinned(objects)
    for host in ("bm-001", "bm-002"):
        conductor, pxe = by_host[("conductor", host)], by_host[("pxe", host)]
        for ds in (conductor, pxe):
            assert ds["kind"] == "DaemonSet" and pod_spec(ds)["hostNetwork"] is True
            paths = {v["hostPath"]["path"] for v in pod_spec(ds)["volumes"] if "hostPath" in v}
            assert "/var/lib/ironic" in paths
        ports = {(p["containerPort"], p.get("protocol", "TCP"))
                 for c in pod_spec(pxe)["containers"] for p in c["ports"]}
        assert ports == {(69, "UDP"), (8089, "TCP")}
        assert kolla_command(objects, pxe, "tftp").startswith("/usr/sbin/in.tftpd ")
        host_conf = kolla_files(objects, conductor)["ironic-conductor-host.conf"]
        assert f"host = {host}\n" in host_conf + "\n"
    first = kolla_files(objects, by_host[("conductor", "bm-001")])["ironic-conductor-host.conf"]
    assert "my_ip = 10.20.10.11" in first
    assert "my_ip" not in kolla_files(objects, by_host[("conductor", "bm-002")])["ironic-conductor-host.conf"]


def test_only_hardware_workloads_are_pinned(rendered):
    for objects in rendered.values():
        for obj in workloads(objects):
            host = obj["metadata"].get("annotations", {}).get(HOSTNAME_ANNOTATION)
            per_node = obj["kind"] == "DaemonSet" or obj["metadata"]["name"].startswith("nova-compute-")
            assert bool(host) == per_node, obj["metadata"]["name"]


def test_empty_hardware_lists_render_no_hardware_workloads(tree_a, tmp_path):
    for name in ("nova", "neutron", "ironic"):
        values = values_in_region(name)
        values["global"]["hardware"] = {}
        objects = render(tree_a, name, values, tmp_path)
        assert not pinned(objects), name
        assert [o for o in workloads(objects) if o["kind"] == "Deployment"], name


# --- Bad input ----------------------------------------------------------------

BAD = [
    ("nova", "hypervisors", [{"hostname": "kvm-001"}, {"zone": "europe-example-b"}],
     "global.hardware.hypervisors[1]: hostname is required"),
    ("nova", "hypervisors", [{"hostname": "kvm-001"}, {"hostname": "kvm-002"}, {"hostname": "kvm-001"}],
     "global.hardware.hypervisors[2] (hostname kvm-001): duplicate hostname, already "
     "global.hardware.hypervisors[0]"),
    ("nova", "hypervisors", [{"hostname": "kvm-001", "kind": "xen"}],
     'global.hardware.hypervisors[0] (hostname kvm-001): kind "xen" is not one of kvm, vmware, ironic'),
    ("nova", "hypervisors", [{"hostname": "vc-1", "kind": "vmware", "vmware": {"host_ip": "10.0.0.1"}}],
     "global.hardware.hypervisors[0] (hostname vc-1): vmware.host_username is required for kind vmware"),
    ("nova", "hypervisors", [{"hostname": "KVM_001"}],
     "global.hardware.hypervisors[0] (hostname KVM_001): hostname is not a Kubernetes node name"),
    ("neutron", "network_agents", [{"hostname": "net-001"}, {"hostname": ""}],
     "global.hardware.network_agents[1]: hostname is required"),
    ("neutron", "network_agents", [{"hostname": "net-001"}, {"hostname": "net-001"}],
     "global.hardware.network_agents[1] (hostname net-001): duplicate hostname, already "
     "global.hardware.network_agents[0]"),
    ("neutron", "network_agents", [{"hostname": "kvm-002"}],
     "global.hardware.network_agents[0] (hostname kvm-002): duplicate hostname, already "
     "global.hardware.hypervisors[1]"),
    ("neutron", "network_agents", [{"hostname": "net-001", "tunnel_ip": "net-001.example"}],
     'global.hardware.network_agents[0] (hostname net-001): tunnel_ip "net-001.example" is not an IP address'),
    ("ironic", "ironic_conductors", [{"zone": "a"}],
     "global.hardware.ironic_conductors[0]: hostname is required"),
    ("ironic", "ironic_conductors", [{"hostname": "bm-001"}, {"hostname": "bm-001"}],
     "global.hardware.ironic_conductors[1] (hostname bm-001): duplicate hostname, already "
     "global.hardware.ironic_conductors[0]"),
]


@pytest.mark.parametrize("chart,key,entries,message", BAD,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_hardware_entry_fails_naming_the_entry(tree_a, tmp_path, chart, key, entries, message):
    result = template(tree_a, chart, with_hardware(chart, key, entries), tmp_path, check=False)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert result.stdout == ""


def test_a_node_cannot_be_both_a_network_node_and_a_hypervisor(tree_a, tmp_path):
    values = with_hardware("neutron", "network_agents", [{"hostname": "net-001"}, {"hostname": "kvm-003"}])
    result = template(tree_a, "neutron", values, tmp_path, check=False)
    assert result.returncode != 0
    assert ("global.hardware.network_agents[1] (hostname kvm-003): duplicate hostname, already "
            "global.hardware.hypervisors[2]") in result.stderr, result.stderr
