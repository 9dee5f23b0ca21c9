"""Property tests: a document derived from a sibling (postrender/siblings.py)
is exactly the document libyaml parses, whatever text replaces a value."""
from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postrender import siblings, stream
from postrender.errors import InputError

# Raw value texts, valid YAML or not: plain strings, other types, quoting,
# escapes, structure, comments, anchors, tags and block indicators.
RAW = st.one_of(
    st.sampled_from(["kvm-001", "a.b/c", "x=y", "yes", "No", "on", "~", "null", "12", "0x1F",
                     "0755", "1e3", "2024-01-01", "=", '"q"', '"a\\"b"', '"a\\nb"', "'s'",
                     "'it''s'", "''", '""', "a: b", "a #c", "#c", "[1, 2]", "{a: 1}", "&x a",
                     "*x", "!!str 5", "!t a", "|", ">", "- a", "? a", "@a", "`a", "%a",
                     "a,b", "kvm-001,kvm-002", '"kvm-001,kvm-002"', "", " ", "a ", "'unclosed",
                     '"unclosed']),
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_./@+=,:# '\"-]{0,12}", fullmatch=True))

BASE = """\
---
# Source: chart/templates/daemonset.yaml
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent-group-00
  labels:
    app: agent
    group: "00"
  annotations:
    hosts: "kvm-001,kvm-002"
spec:
  selector:
    matchLabels:
      group: "00"
  template:
    metadata:
      labels:
        group: "00"
      annotations:
        checksum: 0123abcd
    spec:
      containers:
        - name: agent
          image: registry.example/agent:1
          args:
            - --mode
            - fast
          env:
            - name: MODE
              value: "on"
"""
# The lines whose value a variant replaces: (line index, text before the value).
VALUE_LINES = [(i, m.group(1)) for i, line in enumerate(BASE.split("\n"))
               if (m := re.match(r"^(\s*(?:- )?(?:[A-Za-z.]+: )?)(?!$)", line))
               and not line.rstrip().endswith(":") and not line.startswith(("#", "---"))
               and m.group(1)]


@st.composite
def sibling_streams(draw):
    lines = BASE.split("\n")
    docs = [BASE]
    for _ in range(draw(st.integers(1, 4))):
        variant = list(lines)
        for i, prefix in draw(st.lists(st.sampled_from(VALUE_LINES), max_size=4)):
            variant[i] = prefix + draw(RAW)
        docs.append("\n".join(variant))
    return "".join(docs)


def parse_in_full(text: str, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(siblings.Siblings, "parse", lambda self, chunk: None)
        return parse_or_error(text)


def parse_or_error(text: str):
    try:
        return [d.obj for d in stream.parse(text)]
    except InputError as err:
        return f"error: {err}"


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(sibling_streams())
def test_a_document_derived_from_a_sibling_is_the_document_parsed_in_full(monkeypatch, text):
    assert parse_or_error(text) == parse_in_full(text, monkeypatch)


def test_the_value_lines_cover_mappings_sequences_and_quoted_values():
    prefixes = [p for _, p in VALUE_LINES]
    assert "    hosts: " in prefixes and "            - " in prefixes
    assert "              value: " in prefixes and len(VALUE_LINES) >= 12


def test_siblings_that_differ_in_plain_strings_are_derived_not_parsed(monkeypatch):
    derived = []
    original = siblings.Siblings.parse

    def counting(self, chunk):
        obj = original(self, chunk)
        derived.append(obj is not None)
        return obj

    monkeypatch.setattr(siblings.Siblings, "parse", counting)
    variant = BASE.replace("agent-group-00", "agent-group-01").replace(
        '"kvm-001,kvm-002"', '"kvm-003"').replace("0123abcd", "4567ef01")
    tricky = BASE.replace('value: "on"', "value: on")  # a boolean: parsed in full
    docs = stream.parse(BASE + variant + tricky)
    assert derived == [False, True, False]
    assert docs[1].obj["metadata"]["annotations"]["hosts"] == "kvm-003"
    assert docs[1].obj["spec"]["template"]["metadata"]["annotations"]["checksum"] == "4567ef01"
    assert docs[2].obj["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] is True
    assert yaml.safe_load(variant) == docs[1].obj


@pytest.mark.parametrize("value", ['"a\\"b"', "'it''s'", "a #c", "{a: 1}", "&x a", "!!str 5"])
def test_values_whose_text_is_not_a_simple_string_are_parsed_in_full(value):
    text = BASE + BASE.replace("image: registry.example/agent:1", f"image: {value}")
    docs = stream.parse(text)
    assert docs[1].obj["spec"]["template"]["spec"]["containers"][0]["image"] == \
        yaml.safe_load(f"v: {value}")["v"]
