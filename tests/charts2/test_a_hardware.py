"""Hardware workloads come from the region's lists: one DaemonSet per node
group and component, annotated with the group's hosts, which the post-renderer
pins its pods to; every listed host is in exactly one group, and adding a
host changes its own group only. vmware and ironic computes stay one pinned
Deployment per entry. Per-host settings reach their host (the host's name from
the node, tunnel settings and conductor files by node name). Bad entries fail
the render with a message naming the list entry. Helm 3 and Helm 4."""
from __future__ import annotations

import hashlib
import subprocess

import pytest

from tests.charts2.conftest_a import (HOSTNAME_ANNOTATION, ISCSI_SHARED, host_mounts, hosts_of,
                                      kolla_command, kolla_etc, named, pod_spec, render, template,
                                      values_a, with_hardware, workloads)
from tests.charts.conftest import values_in_region
from tests.conftest import ROOT

NETWORK_COMPONENTS = ("l3-agent", "dhcp-agent", "metadata-agent", "ovs-agent", "openvswitch")
GROUP_LABEL = "openstack-helm.org/node-group"


@pytest.fixture(scope="module")
def rendered(tree_a, tmp_path_factory) -> dict[str, list[dict]]:
    workdir = tmp_path_factory.mktemp("hardware-a")
    return {name: render(tree_a, name, values_a(name), workdir)
            for name in ("nova", "neutron", "ironic")}


def hardware(name: str, key: str) -> list:
    return values_a(name)["global"]["hardware"][key]


def annotated_hosts(obj: dict) -> list[str]:
    value = obj["metadata"].get("annotations", {}).get(HOSTNAME_ANNOTATION)
    return value.split(",") if value else []


def pinned(objects: list[dict]) -> dict[tuple[str, str], dict]:
    """{(component, hostname): workload} for every host a workload is pinned to."""
    out = {}
    for obj in workloads(objects):
        for host in annotated_hosts(obj):
            key = (obj["metadata"]["labels"]["app.kubernetes.io/component"], host)
            assert key not in out, f"two {key} workloads"
            out[key] = obj
    return out


def group_daemonsets(objects: list[dict], component: str, species: str | None = None) -> dict:
    """{DaemonSet name: DaemonSet} of one component (and neutron species)."""
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "DaemonSet"
            and o["metadata"]["labels"]["app.kubernetes.io/component"] == component
            and species in (None, o["metadata"]["labels"].get("openstack-helm.org/species"))}


def group_of(hostname: str, groups: int = 64) -> str:
    """The node group osh-lib.node-groups gives a host: 32 bits of its name's sha256."""
    return f"{int(hashlib.sha256(hostname.encode()).hexdigest()[:8], 16) % groups:0{len(str(groups - 1))}d}"


def templates(objects: list[dict]) -> dict[str, dict]:
    return {f"{o['kind']}/{o['metadata']['name']}": o["spec"]["template"] for o in workloads(objects)}


# --- nova ----------------------------------------------------------------------

def test_kvm_hypervisors_run_in_one_daemonset_per_node_group_and_component(rendered):
    kvm = [h for h in hosts_of(hardware("nova", "hypervisors")) if h.startswith("kvm-")]
    assert kvm == ["kvm-001", "kvm-002", "kvm-003"]
    for component in ("compute", "libvirt"):
        daemonsets = group_daemonsets(rendered["nova"], component)
        listed = [h for ds in daemonsets.values() for h in annotated_hosts(ds)]
        assert sorted(listed) == kvm  # every host in exactly one group
        for name, ds in daemonsets.items():
            group = ds["spec"]["selector"]["matchLabels"][GROUP_LABEL]
            assert name == f"nova-{component}-group-{group}"
            assert {group_of(h) for h in annotated_hosts(ds)} == {group}
            assert ds["spec"]["template"]["metadata"]["labels"][GROUP_LABEL] == group
            spec = pod_spec(ds)
            assert spec["hostNetwork"] and spec["hostPID"]
            assert spec["dnsPolicy"] == "ClusterFirstWithHostNet"
            assert spec["containers"][0]["securityContext"]["privileged"] is True
            paths = {v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
            assert {"/var/lib/nova", "/run/libvirt", "/var/lib/libvirt"} <= paths
            assert ds["spec"]["template"]["metadata"]["labels"]["openstack-helm.org/hypervisor-kind"] == "kvm"


def test_libvirt_keeps_its_guests_state_on_the_host(rendered):
    """A new libvirt pod must find the guests the old one started: their
    definitions, secrets, runtime state and cgroups are the host's, so a
    rollout of the DaemonSet neither forgets nor stops them."""
    for name, ds in group_daemonsets(rendered["nova"], "libvirt").items():
        assert pod_spec(ds)["hostPID"], name
        mounts = host_mounts(ds, "libvirt")
        for path in ("/etc/libvirt/qemu", "/etc/libvirt/secrets", "/run/libvirt",
                     "/var/lib/libvirt", "/sys/fs/cgroup"):
            assert mounts.get(path, (None,))[0] == path, (name, path)


def test_qemu_limits_come_from_nova_values_and_0_leaves_the_hosts(tree_a, tmp_path):
    def qemu_conf(conf: dict) -> list[str]:
        values = values_a("nova")
        values["conf"] = {**values.get("conf", {}), **conf}
        objects = render(tree_a, "nova", values, tmp_path)
        libvirt = next(iter(group_daemonsets(objects, "libvirt").values()))
        return kolla_etc(objects, libvirt)["/etc/libvirt/qemu.conf"].splitlines()

    default = qemu_conf({})
    assert {"max_files = 32768", "max_processes = 131072"} <= set(default)
    assert {"max_files = 0", "max_processes = 0"} <= set(qemu_conf({"qemu_max_files": 0,
                                                                    "qemu_max_processes": 0}))


def test_a_kvm_compute_takes_its_host_from_its_node(rendered):
    objects = rendered["nova"]
    compute = pinned(objects)[("compute", "kvm-002")]
    env = {e["name"]: e for e in pod_spec(compute)["containers"][0]["env"]}
    assert env["OS_DEFAULT__HOST"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    etc = kolla_etc(objects, compute, node="kvm-002")
    own = etc["/etc/nova/nova-compute-host.conf"]
    assert "compute_driver = libvirt.LibvirtDriver" in own.splitlines()
    assert not [line for line in own.splitlines() if line.startswith("host")]
    assert kolla_command(objects, compute) == ("nova-compute --config-file /etc/nova/nova.conf "
                                               "--config-file /etc/nova/nova-compute-host.conf")


def test_vmware_and_ironic_hypervisors_get_a_single_replica_compute_deployment(rendered):
    objects = rendered["nova"]
    by_host = pinned(objects)
    for host, kind, image in [("vc-proxy-001", "vmware", "nova-compute"),
                              ("bm-proxy-001", "ironic", "nova-compute-ironic")]:
        deployment = by_host[("compute", host)]
        assert deployment["kind"] == "Deployment"
        assert annotated_hosts(deployment) == [host]
        assert deployment["spec"]["replicas"] == 1
        # Two computes with one host name must never overlap.
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}
        spec = pod_spec(deployment)
        assert "hostNetwork" not in spec and "privileged" not in str(spec)
        assert spec["containers"][0]["image"].split("/")[-1].split(":")[0] == image
        assert ("libvirt", host) not in by_host
        host_conf = kolla_etc(objects, deployment)["/etc/nova/nova-compute-host.conf"]
        assert f"host = {host}\n" in host_conf
    vmware = kolla_etc(objects, by_host[("compute", "vc-proxy-001")])["/etc/nova/nova-compute-host.conf"]
    assert "compute_driver = vmwareapi.VMwareVCDriver" in vmware and "host_password = vmware-secret-pw" in vmware
    ironic = kolla_etc(objects, by_host[("compute", "bm-proxy-001")])["/etc/nova/nova-compute-host.conf"]
    assert "compute_driver = ironic.IronicDriver" in ironic and "[ironic]" in ironic


def test_adding_a_hypervisor_changes_its_own_group_only(tree_a, rendered, tmp_path):
    for chart, components in (("nova", ("compute", "libvirt", "iscsid")),
                              ("neutron", ("ovs-agent", "openvswitch"))):
        values = values_a(chart)
        values["global"]["hardware"]["hypervisors"].append("kvm-004")
        before, after = templates(rendered[chart]), templates(render(tree_a, chart, values, tmp_path))
        changed = {name for name, tpl in after.items() if before.get(name) != tpl}
        changed |= set(before) - set(after)
        hypervisor = "-hypervisor" if chart == "neutron" else ""
        assert changed == {f"DaemonSet/{chart}-{c}{hypervisor}-group-{group_of('kvm-004')}"
                           for c in components}, chart


def test_removing_a_hypervisor_changes_its_own_group_only(tree_a, rendered, tmp_path):
    values = values_a("nova")
    values["global"]["hardware"]["hypervisors"] = [
        e for e in values["global"]["hardware"]["hypervisors"]
        if not (isinstance(e, dict) and e["hostname"] == "kvm-002")]
    before, after = templates(rendered["nova"]), templates(render(tree_a, "nova", values, tmp_path))
    changed = {name for name, tpl in before.items() if after.get(name) != tpl}
    assert changed == {f"DaemonSet/nova-{c}-group-{group_of('kvm-002')}"
                       for c in ("compute", "libvirt", "iscsid")}
    assert not [n for n in after if n not in before]


def test_hosts_listed_in_hostname_strings_render_as_their_mappings_do(tree_a, rendered, tmp_path):
    values = values_a("nova")
    entries = values["global"]["hardware"]["hypervisors"]
    kvm = [e["hostname"] for e in entries if e.get("kind", "kvm") == "kvm"]
    values["global"]["hardware"]["hypervisors"] = [
        f"  {kvm[0]}\n{' '.join(kvm[1:])} "] + [e for e in entries if e.get("kind", "kvm") != "kvm"]
    assert render(tree_a, "nova", values, tmp_path) == rendered["nova"]


def test_the_groups_follow_the_node_group_count(tree_a, tmp_path):
    values = values_a("nova")
    values["global"]["node_groups"] = 1
    objects = render(tree_a, "nova", values, tmp_path)
    daemonsets = group_daemonsets(objects, "compute")
    assert list(daemonsets) == ["nova-compute-group-0"]
    assert annotated_hosts(daemonsets["nova-compute-group-0"]) == ["kvm-001", "kvm-002", "kvm-003"]


def test_every_kvm_hypervisor_and_no_other_host_runs_one_iscsid_in_its_computes_group(rendered):
    objects = rendered["nova"]
    kvm = [h for h in hosts_of(hardware("nova", "hypervisors")) if h.startswith("kvm-")]
    daemonsets = group_daemonsets(objects, "iscsid")
    assert sorted(h for ds in daemonsets.values() for h in annotated_hosts(ds)) == kvm
    computes = group_daemonsets(objects, "compute")
    for name, ds in daemonsets.items():
        group = ds["spec"]["selector"]["matchLabels"][GROUP_LABEL]
        assert name == f"nova-iscsid-group-{group}"
        assert annotated_hosts(ds) == annotated_hosts(computes[f"nova-compute-group-{group}"])
        assert ds["spec"]["template"]["metadata"]["labels"]["openstack-helm.org/hypervisor-kind"] == "kvm"
        spec = pod_spec(ds)
        assert spec["hostNetwork"] is True and spec["dnsPolicy"] == "ClusterFirstWithHostNet"
        [container] = spec["containers"]
        assert container["securityContext"] == {"privileged": True}
        assert container["image"] == "quay.io/openstack.kolla/iscsid:2025.1-ubuntu-noble"
        assert kolla_command(objects, ds) == "iscsid -d 8 -f"
        mounts = host_mounts(ds, "iscsid")
        assert mounts["/dev"] == ("/dev", False) and mounts["/lib/modules"] == ("/lib/modules", True)
        # extend_start writes the initiator name there on the first start: the host keeps it.
        assert all(mounts[path] == (path, False) for path in ISCSI_SHARED)


def test_a_kvm_compute_attaches_through_its_hosts_iscsid(rendered):
    objects = rendered["nova"]
    computes = group_daemonsets(objects, "compute")
    for name, iscsid in group_daemonsets(objects, "iscsid").items():
        compute = computes[name.replace("nova-iscsid-", "nova-compute-")]
        # iscsiadm (os-brick) reaches iscsid by an abstract unix socket, which
        # belongs to a network namespace: both are on the host's.
        assert pod_spec(compute)["hostNetwork"] is True
        shared = host_mounts(compute, "compute")
        for path in ISCSI_SHARED:
            assert shared[path] == host_mounts(iscsid, "iscsid")[path] == (path, False), path
    # vmware and ironic computes attach nothing on their node.
    for host in ("vc-proxy-001", "bm-proxy-001"):
        mounts = {m["mountPath"] for m in pod_spec(pinned(objects)[("compute", host)])["containers"][0]
                  .get("volumeMounts", [])}
        assert not set(ISCSI_SHARED) & mounts and ("iscsid", host) not in pinned(objects)


def test_without_iscsid_no_hypervisor_runs_it_and_no_compute_mounts_etc_iscsi(tree_a, tmp_path):
    values = values_a("nova")
    values["global"]["iscsid"] = {"enabled": False}
    objects = render(tree_a, "nova", values, tmp_path)
    assert not group_daemonsets(objects, "iscsid")
    for compute in group_daemonsets(objects, "compute").values():
        assert not set(ISCSI_SHARED) & set(host_mounts(compute, "compute"))
    assert "config-iscsid.json" not in named(objects, "Secret", "nova-compute")["stringData"]


# --- neutron -------------------------------------------------------------------

def test_every_network_node_gets_all_agents_and_openvswitch(rendered):
    nodes = hosts_of(hardware("neutron", "network_agents"))
    assert nodes == ["net-001", "net-002", "net-003"]
    by_host = pinned(rendered["neutron"])
    for host in nodes:
        for component in NETWORK_COMPONENTS:
            ds = by_host[(component, host)]
            group = group_of(host)
            assert ds["kind"] == "DaemonSet" and ds["metadata"]["name"] == f"neutron-{component}-group-{group}"
            assert ds["spec"]["selector"]["matchLabels"]["openstack-helm.org/species"] == "network"
    assert len([k for k in by_host if k[1] in nodes]) == len(nodes) * len(NETWORK_COMPONENTS)


def test_every_kvm_hypervisor_gets_an_ovs_agent_and_openvswitch_told_apart_by_name(rendered):
    by_host = pinned(rendered["neutron"])
    for host in ("kvm-001", "kvm-002", "kvm-003"):
        for component in ("ovs-agent", "openvswitch"):
            ds = by_host[(component, host)]
            # placement/base.yaml matches the hypervisor ones by this name.
            assert ds["metadata"]["name"] == f"neutron-{component}-hypervisor-group-{group_of(host)}"
            # The species is in the selector: a network and a hypervisor group
            # with one id never claim each other's pods.
            assert ds["spec"]["selector"]["matchLabels"]["openstack-helm.org/species"] == "hypervisor"
        for component in ("l3-agent", "dhcp-agent", "metadata-agent"):
            assert (component, host) not in by_host
    # vmware and ironic computes plug no VIFs into a local Open vSwitch.
    assert not [k for k in by_host if k[1] in ("vc-proxy-001", "bm-proxy-001")]


def test_a_nodes_tunnel_settings_are_in_its_own_key_and_roll_its_group_only(tree_a, rendered,
                                                                            tmp_path):
    objects = rendered["neutron"]
    assert named(objects, "ConfigMap", "neutron-nodes")["data"] == {
        "net-003": "tunnel_ip=10.20.8.3\nexternal_interface=eno2\n"}
    agent = pinned(objects)[("ovs-agent", "net-001")]
    box = pod_spec(agent)["containers"][0]
    env = {e["name"]: e for e in box["env"]}
    assert env["TUNNEL_IP"]["valueFrom"] == {"fieldRef": {"fieldPath": "status.hostIP"}}
    assert env["NODE_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    assert env["OVS_BRIDGES"]["value"] == "br-ex"
    assert {"name": "nodes", "mountPath": "/var/lib/osh/nodes", "readOnly": True} in box["volumeMounts"]

    values = values_a("neutron")
    for entry in values["global"]["hardware"]["network_agents"]:
        if entry["hostname"] == "net-003":
            entry["tunnel_ip"] = "10.20.8.33"
    before, after = templates(objects), templates(render(tree_a, "neutron", values, tmp_path))
    assert {n for n, tpl in after.items() if before[n] != tpl} == {
        f"DaemonSet/neutron-ovs-agent-group-{group_of('net-003')}"}


def run_ovs_agent_script(tmp_path, node: str, settings: dict[str, str]) -> tuple[str, str]:
    """files/ovs-agent.sh with stub ovs-vsctl and agent: (ovs-vsctl calls, the agent's local_ip file)."""
    script = (ROOT / "charts" / "neutron" / "files" / "ovs-agent.sh").read_text()
    nodes = tmp_path / "nodes"
    nodes.mkdir(parents=True)
    for name, text in settings.items():
        (nodes / name).write_text(text)
    (tmp_path / "ovs-agent.sh").write_text(script.replace("/var/lib/osh/nodes", str(nodes)))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ovs-vsctl").write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/vsctl\n')
    (bin_dir / "neutron-openvswitch-agent").write_text('#!/bin/sh\nfor a; do last=$a; done\ncat "$last"\n')
    for stub in bin_dir.iterdir():
        stub.chmod(0o755)
    result = subprocess.run(
        ["sh", str(tmp_path / "ovs-agent.sh")], capture_output=True, text=True, check=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "OVS_BRIDGES": "br-ex br-tenant",
             "TUNNEL_IP": "192.0.2.7", "NODE_NAME": node,
             "OVSDB_CONNECTION": "tcp:127.0.0.1:6640", "OVS_DATAPATH_TYPE": "netdev"})
    calls = (tmp_path / "vsctl").read_text()
    return "\n".join(c for c in calls.splitlines() if "show" not in c), result.stdout


def test_the_ovs_agent_start_takes_its_nodes_own_settings(tmp_path):
    settings = {"net-003": "tunnel_ip=10.20.8.3\nexternal_interface=eno2\n"}
    calls, local_ip = run_ovs_agent_script(tmp_path / "a", "net-003", settings)
    assert local_ip == "[ovs]\nlocal_ip = 10.20.8.3\n"
    assert "--may-exist add-port br-ex eno2" in calls
    calls, local_ip = run_ovs_agent_script(tmp_path / "b", "net-001", settings)
    assert local_ip == "[ovs]\nlocal_ip = 192.0.2.7\n"  # the node's address
    assert "add-port" not in calls and "--may-exist add-br br-tenant" in calls
    # Through the server's loopback listener, with the datapath the region chose.
    assert "--db=tcp:127.0.0.1:6640 --may-exist add-br br-tenant -- set bridge br-tenant datapath_type=netdev" in calls


def test_l3_and_dhcp_agents_share_the_host_network_namespaces(rendered):
    by_host = pinned(rendered["neutron"])
    for component in ("l3-agent", "dhcp-agent"):
        spec = pod_spec(by_host[(component, "net-001")])
        assert spec["hostNetwork"] is True
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["mountPath"] == "/run/netns")
        assert mount["mountPropagation"] == "Bidirectional"
        assert spec["containers"][0]["securityContext"]["privileged"] is True


def test_the_ovs_agent_shares_the_nodes_open_vswitch_run_dir_with_openvswitch(rendered):
    """ovs-ofctl reaches br-int through its management socket in /run/openvswitch
    (found live: "br-int is not a bridge or a socket" without it)."""
    by_host = pinned(rendered["neutron"])
    paths = {}
    for component in ("ovs-agent", "openvswitch"):
        spec = pod_spec(by_host[(component, "net-001")])
        volumes = {v["name"]: v for v in spec["volumes"]}
        paths[component] = {volumes[m["name"]]["hostPath"]["path"]
                            for c in spec["containers"] for m in c["volumeMounts"]
                            if m["mountPath"] == "/run/openvswitch" and "hostPath" in volumes[m["name"]]}
    assert paths["ovs-agent"] == paths["openvswitch"] == {"/run/openvswitch"}


def test_every_agent_takes_its_host_from_its_node(rendered):
    """nova-compute's host and its OVS agent's host must agree for port binding."""
    for ds in group_daemonsets(rendered["neutron"], "ovs-agent").values():
        for box in pod_spec(ds)["containers"]:
            env = {e["name"]: e for e in box["env"]}
            assert env["OS_DEFAULT__HOST"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}


# --- ironic --------------------------------------------------------------------

def test_each_conductor_host_gets_a_conductor_and_pxe_servers_sharing_its_boot_dir(rendered):
    objects = rendered["ironic"]
    by_host = pinned(objects)
    for host in ("bm-001", "bm-002"):
        conductor, pxe = by_host[("conductor", host)], by_host[("pxe", host)]
        for ds in (conductor, pxe):
            assert ds["kind"] == "DaemonSet" and pod_spec(ds)["hostNetwork"] is True
            assert ds["metadata"]["name"].endswith(f"-group-{group_of(host)}")
            paths = {v["hostPath"]["path"] for v in pod_spec(ds)["volumes"] if "hostPath" in v}
            assert "/var/lib/ironic" in paths
        ports = {(p["containerPort"], p.get("protocol", "TCP"))
                 for c in pod_spec(pxe)["containers"] for p in c["ports"]}
        assert ports == {(69, "UDP"), (8089, "TCP")}
        assert kolla_command(objects, pxe, "tftp").startswith("/usr/sbin/in.tftpd ")
        # Each conductor pod loads the file of the node it runs on.
        host_conf = kolla_etc(objects, conductor, node=host)["/etc/ironic/ironic-conductor-host.conf"]
        assert f"host = {host}\n" in host_conf + "\n"
    first = kolla_etc(objects, by_host[("conductor", "bm-001")], node="bm-001")
    assert "my_ip = 10.20.10.11" in first["/etc/ironic/ironic-conductor-host.conf"]
    second = kolla_etc(objects, by_host[("conductor", "bm-002")], node="bm-002")
    assert "my_ip" not in second["/etc/ironic/ironic-conductor-host.conf"]


# --- all -----------------------------------------------------------------------

def test_only_hardware_workloads_are_pinned(rendered):
    for objects in rendered.values():
        for obj in workloads(objects):
            per_node = obj["kind"] == "DaemonSet" or obj["metadata"]["name"].startswith("nova-compute-")
            assert bool(annotated_hosts(obj)) == per_node, obj["metadata"]["name"]


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
    ("nova", "hypervisors", ["kvm-001 kvm-002", "kvm-003 kvm-002"],
     "global.hardware.hypervisors[1] (hostname kvm-002): duplicate hostname, already "
     "global.hardware.hypervisors[0]"),
    ("nova", "hypervisors", [{"hostname": "kvm-001", "kind": "xen"}],
     'global.hardware.hypervisors[0] (hostname kvm-001): kind "xen" is not one of kvm, vmware, ironic'),
    ("nova", "hypervisors", [{"hostname": "vc-1", "kind": "vmware", "vmware": {"host_ip": "10.0.0.1"}}],
     "global.hardware.hypervisors[0] (hostname vc-1): vmware.host_username is required for kind vmware"),
    ("nova", "hypervisors", [{"hostname": "KVM_001"}],
     "global.hardware.hypervisors[0] (hostname KVM_001): hostname is not a Kubernetes node name"),
    ("nova", "hypervisors", ["kvm-001 KVM_002 kvm-003"],
     "global.hardware.hypervisors[0] (hostname KVM_002): hostname is not a Kubernetes node name"),
    ("nova", "hypervisors", ["  "],
     "global.hardware.hypervisors[0]: hostname is required"),
    ("neutron", "network_agents", [{"hostname": "net-001"}, {"hostname": ""}],
     "global.hardware.network_agents[1]: hostname is required"),
    ("neutron", "network_agents", [{"hostname": "net-001"}, {"hostname": "net-001"}],
     "global.hardware.network_agents[1] (hostname net-001): duplicate hostname, already "
     "global.hardware.network_agents[0]"),
    ("neutron", "network_agents", [{"hostname": "net-001", "tunnel_ip": "net-001.example"}],
     'global.hardware.network_agents[0] (hostname net-001): tunnel_ip "net-001.example" is not an IP address'),
    ("neutron", "network_agents", [{"hostname": "net-001", "external_interface": "eno2\ntunnel_ip=1.2.3.4"}],
     "global.hardware.network_agents[0] (hostname net-001): external_interface "),
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


def test_a_converged_node_runs_one_open_vswitch_and_one_agent_the_network_nodes(tree_a, tmp_path):
    # A small region's node may be a network node and a hypervisor at once;
    # two ovsdb-servers on one host would fight over its database and port.
    values = with_hardware("neutron", "network_agents", [{"hostname": "net-001"}, {"hostname": "kvm-003"}])
    objects = render(tree_a, "neutron", values, tmp_path)
    hosts = pinned(objects)  # fails on two workloads of one component on one host
    for component in ("openvswitch", "ovs-agent"):
        workload = hosts[(component, "kvm-003")]
        assert workload["spec"]["template"]["metadata"]["labels"]["openstack-helm.org/species"] == "network"
        assert (component, "kvm-001") in hosts  # the other hypervisors keep theirs


@pytest.mark.parametrize("count", [0, 1001, "many"])
def test_a_bad_node_group_count_fails_naming_it(tree_a, tmp_path, count):
    values = values_a("nova")
    values["global"]["node_groups"] = count
    result = template(tree_a, "nova", values, tmp_path, check=False)
    assert result.returncode != 0 and result.stdout == ""
    assert f"global.node_groups: {count}" in result.stderr.replace('"', ""), result.stderr
