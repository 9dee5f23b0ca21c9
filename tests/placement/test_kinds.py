"""Every pod template kind gets the species toleration, node selection and pinning."""
from __future__ import annotations

import pytest

from postrender import podtemplate
from tests.placement.helpers import dump_stream, objects, place, region, validate, workload

REGION = """\
include: [../../placement/base.yaml]
"""
NOVA_COMPUTE = {"app.kubernetes.io/name": "nova", "app.kubernetes.io/component": "compute"}
HYPERVISOR_TOLERATION = {"key": "species", "operator": "Equal", "value": "hypervisor",
                         "effect": "NoSchedule"}
KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
         "Job", "CronJob"]


def placed(tmp_path, obj):
    docs, diagnostics, out = place(dump_stream(obj), region(tmp_path, REGION))
    [result] = objects(out)
    return result, diagnostics


@pytest.mark.parametrize("kind", KINDS)
def test_hypervisor_workload_of_every_kind_gets_toleration_and_species_selector(tmp_path, kind):
    result, _ = placed(tmp_path, workload(kind, "nova-compute", labels=NOVA_COMPUTE))
    spec = podtemplate.pod_spec(result)
    assert spec["tolerations"] == [HYPERVISOR_TOLERATION]
    assert spec["nodeSelector"] == {"species": "hypervisor"}
    validate(result)


@pytest.mark.parametrize("kind", KINDS)
def test_control_plane_workload_of_every_kind_avoids_dedicated_nodes(tmp_path, kind):
    result, _ = placed(tmp_path, workload(kind, "keystone-api"))
    spec = podtemplate.pod_spec(result)
    assert "tolerations" not in spec
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [
        {"key": "species", "operator": "NotIn", "values": ["hypervisor", "network", "swift-storage"]}]}]
    validate(result)


@pytest.mark.parametrize("kind", KINDS)
def test_hostname_annotation_pins_every_kind_to_its_node(tmp_path, kind):
    obj = workload(kind, "nova-compute-hv-7", labels=NOVA_COMPUTE,
                   annotations={"placement.openstack-helm.org/hostname": "hv-7"})
    result, _ = placed(tmp_path, obj)
    spec = podtemplate.pod_spec(result)
    assert spec["nodeSelector"] == {"species": "hypervisor", "kubernetes.io/hostname": "hv-7"}
    validate(result)


def test_cronjob_pod_template_gets_species_toleration_in_its_job_template(tmp_path):
    result, _ = placed(tmp_path, workload("CronJob", "nova-compute-sync", labels=NOVA_COMPUTE))
    pod = result["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert HYPERVISOR_TOLERATION in pod["tolerations"]
    assert "tolerations" not in result["spec"]


def test_neutron_agents_go_to_network_nodes(tmp_path):
    for component in ("l3-agent", "dhcp-agent", "metadata-agent", "ovs-agent", "openvswitch"):
        labels = {"app.kubernetes.io/name": "neutron", "app.kubernetes.io/component": component}
        result, _ = placed(tmp_path / component, workload("DaemonSet", f"neutron-{component}",
                                                         labels=labels))
        spec = podtemplate.pod_spec(result)
        assert spec["nodeSelector"] == {"species": "network"}, component
        assert spec["tolerations"][0]["value"] == "network"


def test_ovs_agent_for_hypervisors_is_told_apart_by_name(tmp_path):
    labels = {"app.kubernetes.io/name": "neutron", "app.kubernetes.io/component": "ovs-agent"}
    result, _ = placed(tmp_path, workload("DaemonSet", "neutron-ovs-agent-hypervisor",
                                          labels=labels))
    spec = podtemplate.pod_spec(result)
    assert spec["nodeSelector"] == {"species": "hypervisor"}
    assert spec["tolerations"] == [HYPERVISOR_TOLERATION]


def test_helm4_hook_job_in_the_stream_is_placed(tmp_path):
    hook = workload("Job", "keystone-db-sync")
    hook["metadata"]["annotations"] = {"helm.sh/hook": "pre-install",
                                       "postrenderer.helm.sh/postrender-filename":
                                           "keystone/templates/job-db-sync.yaml"}
    result, _ = placed(tmp_path, hook)
    assert podtemplate.pod_spec(result)["affinity"]["nodeAffinity"]
    assert result["metadata"]["annotations"]["postrenderer.helm.sh/postrender-filename"] == \
        "keystone/templates/job-db-sync.yaml"


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "ReplicaSet",
                                  "ReplicationController"])
def test_replicated_control_plane_is_spread_over_zones(tmp_path, kind):
    result, _ = placed(tmp_path, workload(kind, "keystone-api", replicas=3))
    [constraint] = podtemplate.pod_spec(result)["topologySpreadConstraints"]
    assert constraint["topologyKey"] == "topology.kubernetes.io/zone"
    assert constraint["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] == "keystone"
    assert constraint["whenUnsatisfiable"] == "ScheduleAnyway"
    assert ("matchLabelKeys" in constraint) == (kind == "Deployment")
    validate(result)


@pytest.mark.parametrize("kind,replicas", [("Deployment", 1), ("Deployment", None),
                                           ("DaemonSet", None), ("Job", None), ("Pod", None)])
def test_single_or_unreplicated_workloads_get_no_zone_spread(tmp_path, kind, replicas):
    result, _ = placed(tmp_path, workload(kind, "keystone-api", replicas=replicas))
    assert "topologySpreadConstraints" not in podtemplate.pod_spec(result)


def test_objects_without_pod_templates_are_left_byte_for_byte(tmp_path):
    text = "---\n# Source: x/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {a: '1'}\n"
    docs, _, out = place(text + dump_stream(workload("Deployment", "keystone-api")),
                         region(tmp_path, REGION))
    assert out.startswith(text)
    assert not docs[0].dirty
