"""kube-scheduler's hard rules, with the cases of the Kubernetes docs
("Taints and Tolerations" and "Assigning Pods to Nodes: node affinity")."""
from __future__ import annotations

import pytest

from postrender.placement import scheduler

REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def node(name="node1", labels=None, taints=None, unschedulable=False):
    spec = {"taints": taints or []}
    if unschedulable:
        spec["unschedulable"] = True
    return {"kind": "Node", "metadata": {"name": name, "labels": labels or {}}, "spec": spec}


def taint(key, value, effect):
    return {"key": key, "value": value, "effect": effect}


def fits(spec, n, **kw):
    return not scheduler.reasons_excluded(spec, n, **kw)


# --- taints and tolerations ---------------------------------------------------------------

KEY1_NOSCHEDULE = taint("key1", "value1", "NoSchedule")


@pytest.mark.parametrize("toleration", [
    {"key": "key1", "operator": "Equal", "value": "value1", "effect": "NoSchedule"},
    {"key": "key1", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "key1", "value": "value1", "effect": "NoSchedule"},      # operator defaults to Equal
    {"key": "key1", "operator": "Equal", "value": "value1"},         # empty effect matches all
    {"operator": "Exists"},                                          # empty key + Exists: all
    {"operator": "Exists", "effect": "NoSchedule"},                  # all keys, this effect
])
def test_docs_tolerations_that_tolerate_key1_value1_noschedule(toleration):
    assert scheduler.tolerates(toleration, KEY1_NOSCHEDULE)
    assert fits({"tolerations": [toleration]}, node(taints=[KEY1_NOSCHEDULE]))


@pytest.mark.parametrize("toleration", [
    {"key": "key1", "operator": "Equal", "value": "value2", "effect": "NoSchedule"},
    {"key": "key1", "operator": "Exists", "effect": "NoExecute"},   # effect must match
    {"key": "key2", "operator": "Exists"},
    {"key": "", "operator": "Equal", "value": "value1"},            # empty key needs Exists
    {"operator": "Exists", "effect": "NoExecute"},
])
def test_docs_tolerations_that_do_not_tolerate_key1_value1_noschedule(toleration):
    assert not scheduler.tolerates(toleration, KEY1_NOSCHEDULE)
    assert not fits({"tolerations": [toleration]}, node(taints=[KEY1_NOSCHEDULE]))


def test_docs_pod_missing_a_toleration_for_the_third_taint_does_not_schedule():
    n = node(taints=[taint("key1", "value1", "NoSchedule"), taint("key1", "value1", "NoExecute"),
                     taint("key2", "value2", "NoSchedule")])
    tolerations = [{"key": "key1", "operator": "Equal", "value": "value1", "effect": "NoSchedule"},
                   {"key": "key1", "operator": "Equal", "value": "value1", "effect": "NoExecute"}]
    assert scheduler.reasons_excluded({"tolerations": tolerations}, n) == [
        "taint key2=value2:NoSchedule"]


def test_noexecute_taint_blocks_scheduling_like_noschedule():
    assert not fits({}, node(taints=[taint("species", "network", "NoExecute")]))


def test_prefer_no_schedule_taint_does_not_block():
    assert fits({}, node(taints=[taint("species", "network", "PreferNoSchedule")]))


def test_unschedulable_node_blocks_pods_but_not_daemonset_pods():
    cordoned = node(unschedulable=True)
    assert not fits({}, cordoned)
    assert fits({}, cordoned, daemonset=True)


# --- nodeSelector, nodeName and required node affinity -----------------------------------

def affinity(*terms):
    return {"affinity": {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": list(terms)}}}}


def term(*expressions):
    return {"matchExpressions": list(expressions)}


def expr(key, operator, *values):
    e = {"key": key, "operator": operator}
    if values:
        e["values"] = list(values)
    return e


ZONE = "topology.kubernetes.io/zone"


def test_docs_node_selector_requires_every_label():
    spec = {"nodeSelector": {"disktype": "ssd"}}
    assert fits(spec, node(labels={"disktype": "ssd", "other": "x"}))
    assert not fits(spec, node(labels={"disktype": "hdd"}))
    assert not fits(spec, node(labels={}))


def test_node_name_allows_only_that_node():
    assert fits({"nodeName": "node1"}, node("node1"))
    assert not fits({"nodeName": "node1"}, node("node2"))


def test_docs_zone_in_antarctica_east_or_west():
    spec = affinity(term(expr(ZONE, "In", "antarctica-east1", "antarctica-west1")))
    assert fits(spec, node(labels={ZONE: "antarctica-west1"}))
    assert not fits(spec, node(labels={ZONE: "europe-west1"}))
    assert not fits(spec, node(labels={}))


@pytest.mark.parametrize("operator,values,labels,expected", [
    ("NotIn", ["a"], {"k": "b"}, True),
    ("NotIn", ["a"], {}, True),              # a missing label is not in the set
    ("NotIn", ["a"], {"k": "a"}, False),
    ("Exists", [], {"k": ""}, True),
    ("Exists", [], {}, False),
    ("DoesNotExist", [], {}, True),
    ("DoesNotExist", [], {"k": "x"}, False),
    ("Gt", ["5"], {"k": "6"}, True),
    ("Gt", ["5"], {"k": "5"}, False),
    ("Lt", ["5"], {"k": "4"}, True),
    ("Lt", ["5"], {"k": "10"}, False),
    ("Gt", ["5"], {"k": "six"}, False),      # non-integers never match
    ("Gt", ["5"], {}, False),
])
def test_node_affinity_operators(operator, values, labels, expected):
    assert fits(affinity(term(expr("k", operator, *values))), node(labels=labels)) is expected


def test_docs_terms_are_ored():
    spec = affinity(term(expr("a", "Exists")), term(expr("b", "Exists")))
    assert fits(spec, node(labels={"b": "1"}))
    assert not fits(spec, node(labels={"c": "1"}))


def test_docs_expressions_in_a_term_are_anded():
    spec = affinity(term(expr("a", "Exists"), expr("b", "Exists")))
    assert fits(spec, node(labels={"a": "1", "b": "1"}))
    assert not fits(spec, node(labels={"a": "1"}))


def test_docs_node_selector_and_affinity_must_both_hold():
    spec = {"nodeSelector": {"species": "network"}, **affinity(term(expr(ZONE, "In", "a")))}
    assert fits(spec, node(labels={"species": "network", ZONE: "a"}))
    assert not fits(spec, node(labels={"species": "network", ZONE: "b"}))
    assert not fits(spec, node(labels={"species": "master", ZONE: "a"}))


def test_empty_term_matches_no_node():
    assert not fits(affinity({}), node(labels={"a": "b"}))


def test_match_fields_select_by_node_name():
    spec = affinity({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]})
    assert fits(spec, node("n2")) and not fits(spec, node("n1"))


def test_requires_label_sees_selector_and_every_term():
    assert scheduler.requires_label({"nodeSelector": {"species": "network"}}, "species", "network")
    assert scheduler.requires_label(affinity(term(expr("species", "In", "network"))),
                                    "species", "network")
    assert not scheduler.requires_label(
        affinity(term(expr("species", "In", "network")), term(expr("x", "Exists"))),
        "species", "network")
    assert not scheduler.requires_label(affinity(term(expr("species", "In", "network", "master"))),
                                        "species", "network")
    assert not scheduler.requires_label({}, "species", "network")
