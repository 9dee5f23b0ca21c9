"""Property tests: random manifest streams survive the stream unchanged in meaning."""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postrender import podtemplate, stream, yamlio

KINDS = sorted(podtemplate.TEMPLATE_PATHS) + ["ConfigMap", "Service", "Secret", "Example"]
API = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
       "ReplicaSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1",
       "Example": "example.org/v1"}

# Strings that other YAML readers would type differently if written plainly.
TRICKY = st.sampled_from(["1.0", "yes", "no", "NO", "on", "off", "y", "n", "0755", "0o17",
                          "0x1F", "2024-01-01", "2024-01-01T00:00:00Z", "null", "~", "true",
                          "1e3", ".inf", "-.NaN", "+1", "12_000", "", " ", "-", "- a",
                          "a: b", "#x", "'q'", '"d"', "*a", "&a", "!tag", "%p", "@x", "`x"])
# The input streams are written by PyYAML's own dumper, which mangles NEL, LS
# and PS (YAML 1.1 line breaks) in quoted scalars; the emitter's own property
# tests cover those characters.
TEXT = st.text(st.characters(blacklist_categories=("Cs",),
                             blacklist_characters="\ufeff\x85\u2028\u2029"), max_size=30)
MULTILINE = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                                           blacklist_characters="\ufeff"), max_size=20),
                     min_size=2, max_size=4).map("\n".join)
SCALARS = st.one_of(TRICKY, TEXT, MULTILINE, st.integers(-10**6, 10**6), st.booleans(),
                    st.none(), st.floats(allow_nan=False, allow_infinity=False, width=32))
KEYS = st.one_of(TRICKY, st.text("abcdefghijklmnopqrstuvwxyz-_./", min_size=1, max_size=12))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)
NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)


@st.composite
def manifests(draw, name: str):
    kind = draw(st.sampled_from(KINDS))
    obj = {"apiVersion": API.get(kind, "v1"), "kind": kind,
           "metadata": {"name": name, "labels": draw(st.dictionaries(KEYS, TRICKY, max_size=3))},
           "data": draw(st.dictionaries(KEYS, VALUES, max_size=4))}
    path = podtemplate.TEMPLATE_PATHS.get(kind)
    if path is not None:
        spec = {"containers": [{"name": "c", "image": "quay.io/openstack.kolla/nova-api:2025.1",
                                "env": [{"name": "X", "value": draw(TRICKY)}]}]}
        node = obj
        for key in path:
            node = node.setdefault(key, {})
        node["spec"] = spec
    return obj


@st.composite
def streams(draw):
    count = draw(st.integers(1, 8))
    objs = [draw(manifests(f"obj-{i}-{draw(NAMES)}")) for i in range(count)]
    helm3 = draw(st.booleans())
    parts = []
    for i, obj in enumerate(objs):
        header = f"# Source: chart/templates/t{i}.yaml\n" if helm3 else ""
        parts.append("---\n" + header + yaml.safe_dump(obj, allow_unicode=True, sort_keys=False))
    touched = draw(st.sets(st.integers(0, count - 1)))
    return objs, "".join(parts), touched


def run(text: str, touched: set[int]) -> str:
    docs = stream.parse(text)
    for i in touched:
        docs[i].touch()
    return stream.emit(docs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_stream_output_parses_to_the_same_objects_in_order(case):
    objs, text, touched = case
    out = run(text, touched)
    assert list(yaml.load_all(out, Loader=yamlio.Loader)) == objs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_untouched_documents_are_byte_identical_and_emission_is_idempotent(case):
    objs, text, touched = case
    out = run(text, touched)
    docs = stream.parse(out)
    for i, doc in enumerate(stream.parse(text)):
        if i not in touched:
            assert doc.text in out
    assert len(docs) == len(objs)
    # Emitting the emitted stream again, touched or not, changes nothing further.
    assert run(out, set()) == out
    assert run(out, set(range(len(objs)))) == run(out, set(range(len(objs))))
    assert list(yaml.load_all(run(out, set(range(len(objs)))), Loader=yamlio.Loader)) == objs


@settings(max_examples=100, deadline=None)
@given(VALUES)
def test_dumped_values_read_back_identically_by_pyyaml_11_rules(value):
    text = yamlio.dump({"v": value})
    assert yaml.load(text, Loader=yamlio.Loader) == {"v": value}
