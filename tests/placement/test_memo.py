"""Workloads with equal inputs share one placement computation, never its result objects."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postrender import podtemplate
from postrender.placement import stage as stage_module
from tests.placement.helpers import dump_stream, place, region, workload

POLICY = """\
include: [../../placement/base.yaml]
default:
  zoneSpread: {maxSkew: 1, whenUnsatisfiable: DoNotSchedule}
"""
NOVA = {"app.kubernetes.io/name": "nova", "app.kubernetes.io/component": "compute"}
OVS = {"app.kubernetes.io/name": "neutron", "app.kubernetes.io/component": "ovs-agent"}
API = {"app.kubernetes.io/name": "keystone", "app.kubernetes.io/component": "api"}
HOSTNAME = "placement.openstack-helm.org/hostname"
TOLERATION = {"key": "species", "operator": "Equal", "value": "hypervisor", "effect": "NoSchedule"}

# Inputs that placement reads, each with two or three values, so that
# workloads equal in all but one of them are common: the memo is hit, and
# missed where it must be.
WORKLOADS = st.builds(
    lambda kind, name, labels, replicas, pin, spec: (kind, name, labels, replicas, pin, spec),
    st.sampled_from(["Deployment", "DaemonSet"]),
    st.sampled_from(["ovs-agent-compute", "ovs-agent"]),
    st.sampled_from([OVS, API]),
    st.sampled_from([1, 3]),
    st.sampled_from([None, ("metadata", "hv-1"), ("template", "hv-2")]),
    st.sampled_from([{}, {"nodeSelector": {"kubernetes.io/hostname": "hv-1"}},
                     {"tolerations": [TOLERATION]}]))


def build(entries) -> list[dict]:
    objs = []
    for i, (kind, name, labels, replicas, pin, spec) in enumerate(entries):
        annotations = {HOSTNAME: pin[1]} if pin and pin[0] == "metadata" else None
        template_annotations = {HOSTNAME: pin[1]} if pin and pin[0] == "template" else None
        objs.append(workload(kind, f"{name}-{i}", labels=labels, spec=dict(spec),
                             replicas=replicas if kind in ("Deployment", "StatefulSet") else None,
                             annotations=annotations,
                             template_annotations=template_annotations))
    return objs


@pytest.fixture(scope="module")
def overlay(tmp_path_factory):
    return region(tmp_path_factory.mktemp("memo"), POLICY)


def placed(objs, overlay):
    try:
        documents, diagnostics, out = place(dump_stream(*objs), overlay)
    except Exception as err:  # noqa: BLE001 - compared, with its message, below
        return type(err), str(err)
    return out, diagnostics.notes, [f.message for f in diagnostics.findings]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(entries=st.lists(WORKLOADS, min_size=1, max_size=12))
def test_memoised_placement_gives_what_placing_each_workload_alone_gives(entries, overlay,
                                                                         monkeypatch):
    objs = build(entries)
    with_memo = placed(objs, overlay)
    with monkeypatch.context() as patch:
        patch.setattr(stage_module, "_memo_key", lambda *args: None)
        without = placed(objs, overlay)
    assert with_memo == without


def test_workloads_differing_only_by_name_are_computed_once(overlay, monkeypatch):
    calls = []
    changes = stage_module._changes
    monkeypatch.setattr(stage_module, "_changes", lambda *a: calls.append(a) or changes(*a))
    objs = [workload("DaemonSet", f"nova-compute-{i}", labels=NOVA) for i in range(20)]
    documents, _, _ = place(dump_stream(*objs), overlay)
    assert len(calls) == 1
    specs = [podtemplate.pod_spec(doc.obj) for doc in documents]
    assert all(spec["tolerations"] == [TOLERATION] for spec in specs)
    # Each workload has its own objects: changing one changes no other.
    specs[0]["tolerations"].append({"operator": "Exists"})
    assert all(spec["tolerations"] == [TOLERATION] for spec in specs[1:])


def test_a_pinned_hostname_is_part_of_the_inputs(overlay):
    objs = [workload("DaemonSet", f"nova-compute-{i}", labels=NOVA,
                     annotations={HOSTNAME: f"hv-{i}"}) for i in range(3)]
    documents, _, _ = place(dump_stream(*objs), overlay)
    assert [podtemplate.pod_spec(d.obj)["nodeSelector"]["kubernetes.io/hostname"]
            for d in documents] == ["hv-0", "hv-1", "hv-2"]
