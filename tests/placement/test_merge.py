"""Merging the policy with what the chart already says: kept, deduplicated, or refused."""
from __future__ import annotations

import pytest

from postrender import podtemplate
from postrender.errors import ConfigError
from tests.placement.helpers import dump_stream, objects, place, region, validate, workload

REGION = "include: [../../placement/base.yaml]\n"
NOVA = {"app.kubernetes.io/name": "nova", "app.kubernetes.io/component": "compute"}
TOLERATION = {"key": "species", "operator": "Equal", "value": "hypervisor", "effect": "NoSchedule"}
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def run(tmp_path, *objs, policy=REGION):
    docs, diagnostics, out = place(dump_stream(*objs), region(tmp_path, policy))
    return objects(out), diagnostics, docs, out


def spec_of(obj):
    return podtemplate.pod_spec(obj)


def test_existing_species_toleration_is_not_duplicated(tmp_path):
    obj = workload("DaemonSet", "nova-compute", labels=NOVA, spec={"tolerations": [TOLERATION]})
    [result], *_ = run(tmp_path, obj)
    assert spec_of(result)["tolerations"] == [TOLERATION]


def test_toleration_of_everything_already_covers_the_species(tmp_path):
    everything = {"operator": "Exists"}
    obj = workload("DaemonSet", "nova-compute", labels=NOVA, spec={"tolerations": [everything]})
    [result], *_ = run(tmp_path, obj)
    assert spec_of(result)["tolerations"] == [everything]


def test_chart_tolerations_and_compatible_selectors_are_kept(tmp_path):
    chart = {"nodeSelector": {"openstack-compute-node": "enabled"},
             "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]}
    [result], *_ = run(tmp_path, workload("DaemonSet", "nova-compute", labels=NOVA, spec=chart))
    spec = spec_of(result)
    assert spec["nodeSelector"] == {"openstack-compute-node": "enabled", "species": "hypervisor"}
    assert spec["tolerations"] == [chart["tolerations"][0], TOLERATION]


def test_chart_affinity_is_kept_and_the_policy_expression_added_to_every_term(tmp_path):
    terms = [{"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]},
             {"matchExpressions": [{"key": "disk", "operator": "Exists"}]}]
    anti = {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 10, "podAffinityTerm": {
        "topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"a": "b"}}}}]}
    obj = workload("Deployment", "keystone-api", spec={"affinity": {
        "nodeAffinity": {REQUIRED: {"nodeSelectorTerms": terms}}, "podAntiAffinity": anti}})
    [result], *_ = run(tmp_path, obj)
    affinity = spec_of(result)["affinity"]
    assert affinity["podAntiAffinity"] == anti
    got = affinity["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]
    not_in = {"key": "species", "operator": "NotIn", "values": ["hypervisor", "network", "swift-storage"]}
    assert got == [{"matchExpressions": [*t["matchExpressions"], not_in]} for t in terms]
    validate(result)


def test_chart_pinning_species_network_contradicts_policy_hypervisor_naming_both(tmp_path):
    obj = workload("DaemonSet", "nova-compute", labels=NOVA, spec={"nodeSelector": {"species": "network"}})
    with pytest.raises(ConfigError) as err:
        run(tmp_path, obj)
    message = str(err.value)
    assert "document 1 DaemonSet/nova-compute" in message
    assert "spec.template.spec.nodeSelector.species" in message
    assert "species=network" in message
    assert "placement/base.yaml: rules[0] (nova-hypervisor)" in message
    assert "species=hypervisor" in message


def test_override_lets_the_policy_replace_the_charts_species(tmp_path):
    policy = REGION + """\
rules:
  - name: nova-hypervisor
    override: true
    match: {labels: app.kubernetes.io/name=nova}
    species: hypervisor
"""
    obj = workload("DaemonSet", "nova-compute", labels=NOVA, spec={"nodeSelector": {"species": "network"}})
    [result], *_ = run(tmp_path, obj, policy=policy)
    assert spec_of(result)["nodeSelector"] == {"species": "hypervisor"}


def test_chart_affinity_requiring_another_species_is_a_contradiction(tmp_path):
    terms = [{"matchExpressions": [{"key": "species", "operator": "In", "values": ["network"]}]}]
    obj = workload("DaemonSet", "nova-compute", labels=NOVA,
                   spec={"affinity": {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": terms}}}})
    with pytest.raises(ConfigError, match=r"nodeSelectorTerms: the chart has required node "
                                          r"affinity species In \['network'\].*nova-hypervisor"):
        run(tmp_path, obj)


def test_control_plane_chart_pinned_to_a_dedicated_species_is_a_contradiction(tmp_path):
    obj = workload("Deployment", "keystone-api", spec={"nodeSelector": {"species": "hypervisor"}})
    with pytest.raises(ConfigError, match=r"species=hypervisor.*default.*species not in"):
        run(tmp_path, obj)


def test_two_rules_giving_different_species_is_an_error_naming_both(tmp_path):
    policy = REGION + """\
rules:
  - name: computes-on-network
    match: {name: nova-compute*}
    species: network
"""
    with pytest.raises(ConfigError) as err:
        run(tmp_path, workload("DaemonSet", "nova-compute", labels=NOVA), policy=policy)
    message = str(err.value)
    assert "rules[0] (nova-hypervisor) gives hypervisor" in message
    assert "overlays/r/placement.yaml: rules[0] (computes-on-network) gives network" in message
    assert "DaemonSet/nova-compute" in message


def test_rule_with_override_wins_over_a_disagreeing_rule(tmp_path):
    policy = REGION + """\
rules:
  - name: computes-on-network
    match: {name: nova-compute*}
    species: network
    override: true
"""
    [result], *_ = run(tmp_path, workload("DaemonSet", "nova-compute", labels=NOVA), policy=policy)
    assert spec_of(result)["nodeSelector"] == {"species": "network"}


def test_fixed_hostname_contradicting_the_charts_node_name_is_an_error(tmp_path):
    policy = REGION + """\
rules:
  - name: pin-api
    match: {name: keystone-api}
    hostname: master-1
"""
    obj = workload("Pod", "keystone-api", spec={"nodeName": "master-2"})
    with pytest.raises(ConfigError, match=r"spec.nodeName: the chart has nodeName master-2"):
        run(tmp_path, obj, policy=policy)


def test_chart_zone_spread_is_kept_and_not_duplicated(tmp_path):
    own = {"maxSkew": 2, "topologyKey": "topology.kubernetes.io/zone",
           "whenUnsatisfiable": "DoNotSchedule",
           "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "keystone"}}}
    obj = workload("Deployment", "keystone-api", replicas=3, spec={"topologySpreadConstraints": [own]})
    [result], *_ = run(tmp_path, obj)
    assert spec_of(result)["topologySpreadConstraints"] == [own]


def test_placing_twice_is_the_same_as_placing_once(tmp_path):
    objs = [workload("DaemonSet", "nova-compute", labels=NOVA,
                     annotations={"placement.openstack-helm.org/hostname": "hv-1"}),
            workload("Deployment", "keystone-api", replicas=3,
                     spec={"nodeSelector": {"failure-domain.beta.kubernetes.io/zone": "a"}},
                     template_annotations={"scheduler.alpha.kubernetes.io/tolerations":
                                           '[{"key": "x", "operator": "Exists"}]'}),
            workload("CronJob", "keystone-rotate")]
    overlay = region(tmp_path, REGION)
    _, first_diag, once = place(dump_stream(*objs), overlay)
    docs, second_diag, twice = place(once, overlay)
    assert twice == once
    assert not any(d.dirty for d in docs)
    assert first_diag.notes and not second_diag.notes


def test_documents_already_placed_are_not_touched(tmp_path):
    _, _, once = place(dump_stream(workload("DaemonSet", "nova-compute", labels=NOVA)),
                       region(tmp_path, REGION))
    docs, _, twice = place(once, region(tmp_path / "again", REGION))
    assert twice == once and not docs[0].dirty


def test_unchanged_text_outside_the_placement_fields_is_kept_byte_for_byte(tmp_path):
    text = """\
---
# Source: nova/templates/daemonset-compute.yaml
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: nova-compute   # a comment the chart wrote
  labels: {app.kubernetes.io/name: nova, app.kubernetes.io/component: compute}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: nova}}
  template:
    metadata:
      labels: {app.kubernetes.io/name: nova, app.kubernetes.io/component: compute}
    spec:
      nodeSelector:
        openstack-compute-node: "enabled"
      containers:
        - name: compute
          image: "registry.example/nova-compute:1"
          command:
            - /bin/sh
            - -c
            - |
              # start
              exec nova-compute
"""
    docs, _, out = place(text, region(tmp_path, REGION))
    [result] = objects(out)
    assert spec_of(result)["nodeSelector"] == {"openstack-compute-node": "enabled",
                                               "species": "hypervisor"}
    assert "name: nova-compute   # a comment the chart wrote" in out
    assert 'image: "registry.example/nova-compute:1"' in out
    assert out.startswith("---\n# Source: nova/templates/daemonset-compute.yaml\n")
    validate(result)


def test_null_placement_fields_in_the_chart_are_filled_in(tmp_path):
    text = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: nova-compute
  labels: {app.kubernetes.io/name: nova, app.kubernetes.io/component: compute}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: nova}}
  template:
    metadata:
      labels: {app.kubernetes.io/name: nova, app.kubernetes.io/component: compute}
    spec:
      nodeSelector:
      tolerations: null
      affinity:
      containers: [{name: c, image: x}]
"""
    _, _, out = place(text, region(tmp_path, REGION))
    [result] = objects(out)
    assert spec_of(result)["nodeSelector"] == {"species": "hypervisor"}
    assert spec_of(result)["tolerations"] == [TOLERATION]
    assert spec_of(result)["affinity"] is None
    validate({**result, "spec": {**result["spec"], "template": {**result["spec"]["template"], "spec": {
        k: v for k, v in spec_of(result).items() if v is not None}}}})


@pytest.mark.parametrize("field,value,where", [
    ("tolerations", {"key": "a"}, "spec.template.spec.tolerations: must be a list"),
    ("nodeSelector", ["a"], "spec.template.spec.nodeSelector: must be a mapping"),
    ("affinity", {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": {"a": 1}}}},
     f"spec.template.spec.affinity.nodeAffinity.{REQUIRED}.nodeSelectorTerms: must be a list"),
])
def test_malformed_placement_fields_are_input_errors_with_their_path(tmp_path, field, value, where):
    from postrender.errors import InputError
    obj = workload("DaemonSet", "nova-compute", labels=NOVA, spec={field: value})
    with pytest.raises(InputError, match=f"DaemonSet/nova-compute: {where}"):
        run(tmp_path, obj)


def test_agreeing_override_rule_settles_a_later_disagreement(tmp_path):
    policy = REGION + """\
rules:
  - {name: computes-hypervisor, match: {name: nova-compute*}, species: hypervisor, override: true}
  - {name: computes-network, match: {name: nova-compute*}, species: network}
"""
    [result], *_ = run(tmp_path, workload("DaemonSet", "nova-compute", labels=NOVA), policy=policy)
    assert spec_of(result)["nodeSelector"] == {"species": "hypervisor"}
