"""Editing pod spec fields in the chart's text: the result always parses to the edited object."""
from __future__ import annotations

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postrender import podtemplate, yamlio
from postrender.placement import splice
from tests.placement.helpers import workload

PATH = ("spec", "template", "spec")
FIELDS = ("nodeName", "nodeSelector", "affinity", "tolerations", "topologySpreadConstraints")

names = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)
scalars = st.one_of(names, st.integers(), st.booleans(), st.just("yes"), st.just("a: b"),
                    st.just("multi\nline\n"), st.just("# not a comment"), st.just("- x"))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)), max_leaves=8)
field_values = st.one_of(st.just(splice.REMOVED), st.dictionaries(names, names, min_size=1),
                         st.lists(st.dictionaries(names, values, min_size=1), min_size=1, max_size=3),
                         names)


def levels(obj):
    out = [obj]
    for key in PATH:
        out.append(out[-1][key])
    return out


def dumpers():
    yield lambda o: yamlio.dump(o)
    yield lambda o: yaml.safe_dump(o, sort_keys=False, indent=4)
    yield lambda o: yaml.safe_dump(o, sort_keys=False, default_flow_style=None)
    yield lambda o: "---\n# Source: chart/templates/x.yaml\n" + yaml.safe_dump(o, sort_keys=True)
    yield lambda o: yamlio.dump(o) + "...\n"
    yield lambda o: yamlio.dump(o).rstrip("\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra=st.dictionaries(names.filter(lambda n: n not in FIELDS), values, max_size=4),
       before=st.fixed_dictionaries({}, optional={f: field_values.filter(
           lambda v: v is not splice.REMOVED) for f in FIELDS}),
       changes=st.dictionaries(st.sampled_from(FIELDS), field_values, min_size=1),
       style=st.integers(0, 5))
def test_spliced_text_parses_to_the_edited_object(extra, before, changes, style):
    obj = workload("Deployment", "x", spec={**extra, **before})
    text = list(dumpers())[style](obj)
    changes = {k: v for k, v in changes.items() if not (v is splice.REMOVED and k not in before)}
    if not changes:
        return
    result = splice.splice(text, PATH, levels(obj), changes)
    expected = copy.deepcopy(obj)
    spec = podtemplate.pod_spec(expected)
    for key, value in changes.items():
        if value is splice.REMOVED:
            del spec[key]
        else:
            spec[key] = value
    if result is None:
        assert style == 2  # only flow-styled mappings may be refused
        return
    assert yamlio.load(result) == expected


def test_block_style_text_is_spliced_keeping_everything_else():
    text = """\
---
# Source: nova/templates/daemonset.yaml
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: x
spec:
  template:
    spec:
      # the chart's comment
      nodeSelector:
        a: b
      containers:
      - name: c
        image: i
        args:
        - |
          line one
            nodeSelector: not a key
"""
    obj = yamlio.load(text)
    result = splice.splice(text, PATH, levels(obj), {"nodeSelector": {"a": "b", "species": "x"},
                                                     "tolerations": [{"operator": "Exists"}]})
    assert result.startswith(text.split("      nodeSelector:")[0])
    assert "            nodeSelector: not a key\n" in result
    parsed = yamlio.load(result)
    assert parsed["spec"]["template"]["spec"]["nodeSelector"] == {"a": "b", "species": "x"}
    assert parsed["spec"]["template"]["spec"]["containers"] == obj["spec"]["template"]["spec"]["containers"]
    assert parsed["spec"]["template"]["spec"]["tolerations"] == [{"operator": "Exists"}]


def test_flow_style_anchors_and_inline_values_are_refused():
    base = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
    for body in ("spec: {template: {spec: {containers: []}}}\n",
                 "spec:\n  template:\n    spec: &a\n      containers: []\n",
                 "spec:\n  template:\n    spec:\n      nodeSelector: &s {a: b}\n      containers: []\n",
                 "spec:\n  template:\n    spec:\n      yes: 1\n      containers: []\n"):
        text = base + body
        obj = yamlio.load(text)
        assert splice.splice(text, PATH, levels(obj), {"nodeSelector": {"b": "c"}}) is None, body


def test_text_whose_keys_differ_from_the_parsed_object_is_refused():
    text = "apiVersion: v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers: []\n"
    obj = yamlio.load(text)
    obj["spec"]["template"]["spec"]["hostNetwork"] = True  # the object no longer matches the text
    assert splice.splice(text, PATH, levels(obj), {"nodeSelector": {"a": "b"}}) is None


def test_quoted_keys_are_read_as_the_parser_reads_them():
    text = """apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n'spec':\n  template:\n    spec:\n      "nodeSelector": {a: b}\n      'y': 1\n      containers: []\n"""
    obj = yamlio.load(text)
    result = splice.splice(text, PATH, levels(obj), {"nodeSelector": {"b": "c"}})
    assert yamlio.load(result)["spec"]["template"]["spec"] == {"nodeSelector": {"b": "c"}, "y": 1,
                                                               "containers": []}
    assert "'y': 1\n" in result
