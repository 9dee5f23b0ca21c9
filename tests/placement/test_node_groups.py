"""A workload annotated with several hosts (a node group's DaemonSet) is pinned
to them by required node affinity; one host stays a nodeSelector. What the
chart already says is kept when it agrees and refused when it cannot, and
`place` names every host of a group DaemonSet that cannot run its pod."""
from __future__ import annotations

import pytest

from postrender import podtemplate
from postrender.errors import ConfigError, InputError
from tests.conftest import postrender
from tests.placement.helpers import dump_stream, objects, place, region, validate, workload
from tests.placement.test_place_command import NODES, OVERLAY_ARGS, by_name, place_json

REGION = "include: [../../placement/base.yaml]\n"
NOVA = {"app.kubernetes.io/name": "nova", "app.kubernetes.io/component": "compute"}
CINDER = {"app.kubernetes.io/name": "cinder", "app.kubernetes.io/component": "volume"}
HOSTNAME = "placement.openstack-helm.org/hostname"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
NOT_DEDICATED = {"key": "species", "operator": "NotIn",
                 "values": ["hypervisor", "network", "swift-storage"]}


def group(kind="DaemonSet", name="nova-compute-group-07", labels=NOVA, hosts="hv-1,hv-2", spec=None):
    return workload(kind, name, labels=labels, annotations={HOSTNAME: hosts}, spec=spec)


def run(tmp_path, *objs, policy=REGION):
    docs, diagnostics, out = place(dump_stream(*objs), region(tmp_path, policy))
    return objects(out), out


def terms(obj) -> list[dict]:
    return podtemplate.pod_spec(obj)["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]


def test_a_group_of_hosts_becomes_required_node_affinity_and_one_host_a_node_selector(tmp_path):
    (grouped, single), _ = run(tmp_path, group(), group(name="nova-compute-group-08", hosts="hv-3"))
    spec = podtemplate.pod_spec(grouped)
    assert spec["nodeSelector"] == {"species": "hypervisor"}
    assert terms(grouped) == [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["hv-1", "hv-2"]}]}]
    assert podtemplate.pod_spec(single)["nodeSelector"] == {
        "species": "hypervisor", "kubernetes.io/hostname": "hv-3"}
    assert "affinity" not in podtemplate.pod_spec(single)
    validate(grouped)


def test_the_group_is_added_to_every_term_beside_anywhere_but_dedicated(tmp_path):
    chart = {"affinity": {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]},
        {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["nvme"]}]}]}}}}
    (obj,), _ = run(tmp_path, group(name="cinder-volume-lvm-group-03", labels=CINDER,
                                    hosts="vol-1,vol-2", spec=chart))
    hosts = {"key": "kubernetes.io/hostname", "operator": "In", "values": ["vol-1", "vol-2"]}
    assert terms(obj) == [{"matchExpressions": [disk, NOT_DEDICATED, hosts]}
                          for disk in ({"key": "disk", "operator": "In", "values": ["ssd"]},
                                       {"key": "disk", "operator": "In", "values": ["nvme"]})]
    assert "tolerations" not in podtemplate.pod_spec(obj)


def test_placing_a_group_twice_is_placing_it_once(tmp_path):
    _, once = run(tmp_path / "a", group())
    _, twice = run(tmp_path / "b", *objects(once))
    assert twice == once


def test_a_chart_host_inside_the_group_is_kept_and_one_outside_it_is_refused(tmp_path):
    (obj,), _ = run(tmp_path / "a", group(spec={"nodeSelector": {"kubernetes.io/hostname": "hv-2"}}))
    assert podtemplate.pod_spec(obj)["nodeSelector"]["kubernetes.io/hostname"] == "hv-2"
    with pytest.raises(ConfigError, match=r"kubernetes\.io/hostname=hv-9.*in \(hv-1, hv-2\)"):
        run(tmp_path / "b", group(spec={"nodeSelector": {"kubernetes.io/hostname": "hv-9"}}))
    with pytest.raises(ConfigError, match=r"nodeName hv-9"):
        run(tmp_path / "c", group(spec={"nodeName": "hv-9"}))


def test_chart_affinity_that_no_host_of_the_group_satisfies_is_a_contradiction(tmp_path):
    chart = {"affinity": {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["hv-8", "hv-9"]}]}]}}}}
    with pytest.raises(ConfigError) as err:
        run(tmp_path, group(spec=chart))
    assert "in (hv-1, hv-2)" in str(err.value) and "nodeSelectorTerms" in str(err.value)


@pytest.mark.parametrize("hosts, reason", [
    ("hv-1,,hv-2", "an empty node name"),
    ("hv-1,hv-1", "node 'hv-1' is named twice"),
    ("hv-1,-hv-2", "'-hv-2' is not a valid label value"),
    ("hv-1, hv-2", "' hv-2' is not a valid label value"),
])
def test_a_bad_host_list_is_an_input_error_naming_the_annotation(tmp_path, hosts, reason):
    with pytest.raises(InputError) as err:
        run(tmp_path, group(hosts=hosts))
    assert reason in str(err.value)
    assert f"metadata.annotations.{HOSTNAME}" in str(err.value)


def test_place_gives_a_group_daemonset_exactly_its_hosts():
    result, report = place_json(dump_stream(group()), *OVERLAY_ARGS)
    assert result.returncode == 0, result.stdout
    [entry] = report["workloads"]
    assert entry["nodes"] == ["hv-1", "hv-2"] and entry["problems"] == []


def test_place_names_every_host_of_a_group_daemonset_that_cannot_run_its_pod():
    result, report = place_json(dump_stream(group(hosts="hv-1,hv-7,network-1")), *OVERLAY_ARGS)
    assert result.returncode == 5
    [entry] = report["workloads"]
    assert entry["nodes"] == ["hv-1"]
    [problem] = entry["problems"]
    assert problem.startswith("pinned to 2 host(s) it cannot run on: ")
    assert "hv-7 (no node has kubernetes.io/hostname=hv-7)" in problem
    assert "network-1 (nodeSelector species=hypervisor; taint species=network:NoSchedule)" in problem


def test_a_deployment_pinned_to_a_group_needs_only_one_of_its_hosts():
    obj = group(kind="Deployment", name="nova-compute-vc", hosts="hv-1,hv-7")
    result, report = place_json(dump_stream(obj), *OVERLAY_ARGS)
    assert result.returncode == 0
    assert report["workloads"][0]["nodes"] == ["hv-1"]
