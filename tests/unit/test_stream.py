"""The stream: split, parse, emit, without Helm."""
from __future__ import annotations

import resource
import time

import pytest
import yaml

from postrender import stream, yamlio
from postrender.errors import InputError
from tests.conftest import third_party

HELM3 = """\
---
# Source: demo/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
data:
  version: "1.0"
  answer: "yes"
  mode: "0755"
  country: "NO"
  day: "2024-01-01"
  script: |
    #!/bin/sh
    echo hello
---
# Source: demo/templates/svc.yaml
apiVersion: v1
kind: Service
metadata:
  name: demo
spec:
  ports:
  - port: 80
"""

HELM4 = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: first
  annotations:
    postrenderer.helm.sh/postrender-filename: 'demo/templates/a.yaml'
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: second
  annotations:
    postrenderer.helm.sh/postrender-filename: 'demo/templates/b.yaml'
"""


def roundtrip(text: str) -> str:
    return stream.emit(stream.parse(text))


def touch_all(text: str) -> str:
    docs = stream.parse(text)
    for doc in docs:
        doc.touch()
    return stream.emit(docs)


@pytest.mark.parametrize("text", [HELM3, HELM4], ids=["helm3", "helm4"])
def test_untouched_stream_is_byte_identical(text):
    assert roundtrip(text) == text


@pytest.mark.parametrize("fixture", third_party())
def test_third_party_stream_passes_through_to_the_same_objects(fixture):
    text = fixture.read_text()
    out = roundtrip(text)
    expected = [d for d in yaml.safe_load_all(text) if d is not None]
    assert list(yaml.safe_load_all(out)) == expected
    # Helm 4 needs its annotation back on every document.
    for doc in yaml.safe_load_all(out):
        assert "postrenderer.helm.sh/postrender-filename" in doc["metadata"]["annotations"]


@pytest.mark.parametrize("fixture", third_party())
def test_third_party_stream_reemitted_from_objects_is_semantically_equal(fixture):
    text = fixture.read_text()
    expected = [d for d in yaml.safe_load_all(text) if d is not None]
    assert list(yaml.safe_load_all(touch_all(text))) == expected


def test_touched_document_keeps_helm3_source_comment_and_order():
    out = touch_all(HELM3)
    sources = [line for line in out.splitlines() if line.startswith("# Source:")]
    assert sources == ["# Source: demo/templates/cm.yaml", "# Source: demo/templates/svc.yaml"]
    assert [d["kind"] for d in yaml.safe_load_all(out)] == ["ConfigMap", "Service"]


def test_touched_document_keeps_string_types():
    data = next(yaml.safe_load_all(touch_all(HELM3)))["data"]
    assert data == {"version": "1.0", "answer": "yes", "mode": "0755", "country": "NO",
                    "day": "2024-01-01", "script": "#!/bin/sh\necho hello\n"}


@pytest.mark.parametrize("value", ["y", "n", "Y", "N", "0o17", ".inf", "-.Inf", ".NaN", "1e3",
                                   "2024-01-01", "2024-01-01T10:00:00Z", "on", "off", "~",
                                   "null", "True", "0x1F", "12_000", "+1", ".5"])
def test_ambiguous_strings_are_quoted_for_every_reader(value):
    text = yamlio.dump({"v": value})
    assert text != f"v: {value}\n"
    assert yaml.safe_load(text) == {"v": value}


def test_multiline_strings_are_written_as_block_scalars():
    out = touch_all(HELM3)
    assert "  script: |\n    #!/bin/sh\n    echo hello\n" in out


def test_unquoted_date_stays_a_string_as_the_api_server_reads_it():
    (doc,) = stream.parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  day: 2024-01-01\n")
    assert doc.obj["data"]["day"] == "2024-01-01"


def test_empty_and_comment_only_documents_are_dropped():
    text = "---\n# Source: a/templates/empty.yaml\n---\n\n---\n" + HELM4 + "---\n# only a comment\n"
    docs = stream.parse(text)
    assert [d.name for d in docs] == ["first", "second"]
    assert [d.index for d in docs] == [0, 1]
    out = stream.emit(docs)
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(out)] == ["first", "second"]


def test_document_end_markers_and_marker_lines_with_content():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n...\n"
            "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n")
    assert [d.name for d in stream.parse(text)] == ["a", "b"]
    out = roundtrip(text)
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(out)] == ["a", "b"]


def cm(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


@pytest.mark.parametrize("text", [
    "---\n---\n" + cm("a") + "---\n---\n" + cm("b"),
    cm("a") + "...\n---\n" + cm("b") + "...\n",
    cm("a") + "--- # a comment\n" + cm("b") + "---",
    "%YAML 1.1\n---\n" + cm("a") + "...\n%YAML 1.1\n--- \n" + cm("b"),
    cm("a") + "----: x\n...x: y\n---\n" + cm("b"),
    cm("a") + "---\t\n" + cm("b") + "\n\n",
], ids=["repeated", "end-markers", "comment", "directives", "four-dashes", "tab"])
def test_documents_split_where_libyaml_splits_them(text):
    expected = [obj for obj in yaml.load_all(text, Loader=yaml.CSafeLoader) if obj]
    docs = stream.parse(text)
    assert [d.obj for d in docs] == expected
    for doc in docs:  # each document's text starts on the line of its own marker or body
        assert doc.text in text


def test_marker_inside_block_scalar_text_is_not_a_split():
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n"
            "  x: |\n    ---\n    not a document\n")
    (doc,) = stream.parse(text)
    assert doc.obj["data"]["x"] == "---\nnot a document\n"


# --- bad input ---------------------------------------------------------------

def error(text: str | bytes) -> InputError:
    with pytest.raises(InputError) as info:
        stream.parse(stream.decode(text if isinstance(text, bytes) else text.encode()))
    return info.value


def test_invalid_yaml_reports_line_and_column_in_the_stream():
    err = error(HELM3 + "---\n# Source: demo/templates/bad.yaml\napiVersion: v1\nkind: a: b\n")
    assert err.file == "demo/templates/bad.yaml"
    bad_line = HELM3.count("\n") + 4
    assert (err.line, err.column) == (bad_line, 8)
    assert str(err).startswith(f"demo/templates/bad.yaml:{bad_line}:8: document 3: ")
    assert "document 3" in str(err) and "invalid YAML" in str(err)


def test_document_that_is_not_a_mapping_is_rejected():
    err = error(HELM4 + "---\n- a\n- b\n")
    assert "document 3" in str(err) and "must be a mapping, not a list" in str(err)


@pytest.mark.parametrize("body, field", [
    ("kind: ConfigMap\nmetadata: {name: a}\n", "apiVersion"),
    ("apiVersion: v1\nmetadata: {name: a}\n", "kind"),
    ("apiVersion: v1\nkind: ConfigMap\n", "metadata"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {}}\n", "metadata.name"),
])
def test_document_without_identity_fields_is_rejected(body, field):
    err = error(HELM4 + "---\n" + body)
    assert err.field == field and err.document.startswith("document 3")


def test_duplicate_keys_are_rejected_with_both_lines():
    err = error(HELM4 + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n")
    first = HELM4.count("\n") + 5
    assert f"duplicate key 'name' (first at line {first})" in str(err)
    assert err.line == first + 1


def test_distinct_keys_with_equal_text_are_not_duplicates():
    (doc,) = stream.parse('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {1: a, "1": b}\n')
    assert doc.obj["data"] == {1: "a", "1": "b"}


def test_alias_bomb_is_rejected_fast_with_bounded_memory():
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: bomb}", 'a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [{', '.join(['*a%d' % (i - 1)] * 10)}]" for i in range(1, 12)]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    err = error("\n".join(lines) + "\n")
    assert time.monotonic() - started < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB
    assert "alias bomb" in str(err)


def test_few_aliases_are_fine():
    (doc,) = stream.parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
                          "x: &x {k: v}\ny: *x\n")
    assert doc.obj["y"] == {"k": "v"}


def test_empty_stdin_is_rejected():
    assert "no manifests" in str(error(b""))
    assert "no manifests" in str(error(b"---\n# Source: a/templates/x.yaml\n\n"))


def test_bytes_that_are_not_utf8_are_rejected_with_position():
    err = error(b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \xff}\n")
    assert "not UTF-8" in str(err) and err.line == 3 and err.column == 18


def test_fifty_megabyte_stream_round_trips():
    doc = ("---\n# Source: big/templates/cm-{i}.yaml\napiVersion: v1\nkind: ConfigMap\n"
           "metadata:\n  name: cm-{i}\ndata:\n  blob: " + "x" * 5000 + "\n")
    text = "".join(doc.format(i=i) for i in range(10_000))
    assert len(text) > 50_000_000
    docs = stream.parse(text)
    assert len(docs) == 10_000
    assert stream.emit(docs) == text


# --- the direct constructor agrees with PyYAML's ------------------------------

TYPED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: typed}
data:
  int: 42
  octal: 0755
  hex: 0x1F
  float: 1.5
  inf: .inf
  yes: yes
  null: ~
  date: 2024-01-01
  list: [1, "2", three]
  nested: {a: {b: [c, {d: e}]}}
"""


def test_direct_constructor_builds_what_pyyaml_builds():
    (doc,) = stream.parse(TYPED)
    expected = yaml.load(TYPED, Loader=yamlio.Loader)  # PyYAML's generic path
    assert doc.obj == expected
    assert doc.obj["data"]["octal"] == 493 and doc.obj["data"]["date"] == "2024-01-01"
    assert doc.obj["data"][True] is True and doc.obj["data"][None] is None


def test_merge_keys_take_the_generic_path():
    (doc,) = stream.parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n"
                          "data:\n  <<: {a: '1', b: '2'}\n  b: '3'\n")
    assert doc.obj["data"] == {"a": "1", "b": "3"}


def test_unknown_tags_and_unhashable_keys_are_input_errors():
    with pytest.raises(InputError, match="could not determine a constructor"):
        stream.parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata: !custom x\n")
    with pytest.raises(InputError, match="unhashable key"):
        stream.parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata: {[a]: b}\n")
