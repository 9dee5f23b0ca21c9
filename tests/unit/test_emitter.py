"""The direct YAML emitter: layout, quoting, block scalars, numbers, fallback."""
from __future__ import annotations

import base64
import datetime
import json
import math
import re
import shutil
import subprocess

import pytest
import yaml

from postrender import emitter, yamlio
from tests.conftest import THIRD_PARTY, needs_third_party

# Every reader on the way: our loader (libyaml), PyYAML's C and pure-Python safe loaders.
READERS = {
    "yamlio.Loader": lambda text: yaml.load(text, Loader=yamlio.Loader),
    "CSafeLoader": lambda text: yaml.load(text, Loader=yaml.CSafeLoader),
    "safe_load": yaml.safe_load,
}

TRICKY = ["1.0", "yes", "Yes", "NO", "no", "on", "Off", "true", "False", "0755", "0o17", "0x1F",
          "0b101", "08", "y", "Y", "n", "N", "~", "null", "Null", "NULL", "2024-01-01",
          "2024-01-01T10:00:00Z", "2001-12-14 21:59:43.10 -5", "1e3", "1E3", "1e+3", ".5", "5.",
          ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "12_000", "1:30", "+1", "-1", "0",
          "<<", "=", "", " ", " a", "a ", "-", "- a", "---", "--- a", "...", "... a",
          "?", "? a", "?a", ":", ": a", ":a", "a:", "a: b", "#x", "a #b", "a  #b",
          "'q'", '"d"', "*a", "&a", "!t", "%p", "@x", "`x", "{a}", "[a]", ",", ",a", "|", "|-",
          ">", ">+", "a\tb", "\t"]


def read_all(text: str) -> dict:
    return {name: read(text) for name, read in READERS.items()}


def assert_reads_back(obj) -> str:
    text = yamlio.dump(obj)
    for name, value in read_all(text).items():
        assert value == obj, f"{name} read {value!r} from {text!r}"
    return text


def test_mappings_nest_by_two_spaces_and_keep_key_order():
    obj = {"zeta": 1, "alpha": {"beta": {"gamma": "x"}, "delta": 2}, "mid": True}
    assert emitter.emit(obj) == (
        "zeta: 1\n"
        "alpha:\n"
        "  beta:\n"
        "    gamma: x\n"
        "  delta: 2\n"
        "mid: true\n")


def test_sequences_in_a_mapping_start_at_the_key_column():
    obj = {"spec": {"containers": [{"name": "api", "args": ["--debug", "--port=80"]},
                                   {"name": "sidecar"}]}}
    assert emitter.emit(obj) == (
        "spec:\n"
        "  containers:\n"
        "  - name: api\n"
        "    args:\n"
        "    - --debug\n"
        "    - --port=80\n"
        "  - name: sidecar\n")


def test_sequences_of_sequences_and_empty_collections():
    obj = {"a": [[1, [2, 3]], [], {}], "b": {}, "c": []}
    assert emitter.emit(obj) == (
        "a:\n"
        "- - 1\n"
        "  - - 2\n"
        "    - 3\n"
        "- []\n"
        "- {}\n"
        "b: {}\n"
        "c: []\n")
    assert emitter.emit({}) == "{}\n"
    assert emitter.emit([]) == "[]\n"


def test_top_level_sequence_is_block_style():
    assert emitter.emit(["a", {"b": 1, "c": 2}]) == "- a\n- b: 1\n  c: 2\n"


def test_long_strings_stay_on_one_line():
    value = "word " * 400 + "end"
    text = assert_reads_back({"v": value})
    assert text == f"v: {value}\n"


def test_dump_has_no_document_marker_and_ends_in_a_line_break():
    text = yamlio.dump({"a": "b"})
    assert text == "a: b\n"
    assert not text.startswith("---")


@pytest.mark.parametrize("value", TRICKY)
def test_strings_that_any_reader_could_type_differently_are_quoted(value):
    text = assert_reads_back({"v": value, value: "k"})
    assert text.splitlines()[0] != f"v: {value}"
    assert not text.splitlines()[1].startswith(f"{value}:") or value == ""


@pytest.mark.parametrize("value", ["nova-api", "quay.io/openstack.kolla/nova-api:2025.1",
                                   "--config-file=/etc/nova/nova.conf", "http://keystone:5000/v3",
                                   "$(POD_IP)", "a:b", "a#b", "x  y", "it's", "é", "日本語", "--",
                                   "a]", "a\\b", "x{{ .Values.x }}"])
def test_ordinary_strings_are_plain(value):
    assert assert_reads_back({"v": value}) == f"v: {value}\n"


def test_printable_strings_are_single_quoted_with_quotes_doubled():
    assert assert_reads_back({"v": "'yes'"}) == "v: '''yes'''\n"
    assert assert_reads_back({"v": " lead"}) == "v: ' lead'\n"


@pytest.mark.parametrize("char, escape", [("\x00", "\\u0000"), ("\x07", "\\u0007"),
                                          ("\t", "\\t"), ("\r", "\\r"), ("\x1b", "\\u001b"),
                                          ("\x7f", "\\u007F"), ("\x85", "\\u0085"),
                                          ("\x9f", "\\u009F"), ("\u2028", "\\u2028"),
                                          ("\u2029", "\\u2029"), ("\ufeff", "\\uFEFF"),
                                          ("\ufffe", "\\uFFFE"), ('"', '\\"'), ("\\", "\\\\")])
def test_characters_yaml_cannot_hold_raw_are_escaped_in_double_quotes(char, escape):
    value = f"a{char}b\x01"
    text = assert_reads_back({"v": value})
    assert text == f'v: "a{escape}b\\u0001"\n'


@pytest.mark.parametrize("value", ["\U0001F600 smile", "e\u0301", "\u05e9\u05dc\u05d5\u05dd",
                                   "\u202eabc", "\xa0nbsp", "\U0010FFFD"])
def test_unicode_is_written_raw_and_reads_back(value):
    text = assert_reads_back({"v": value, value: 1})
    assert value in text


def test_multiline_text_is_a_readable_literal_block():
    script = "#!/bin/sh\nset -e\n\nexec nova-api --config-file /etc/nova/nova.conf\n"
    text = assert_reads_back({"data": {"start.sh": script}})
    assert text == ("data:\n"
                    "  start.sh: |\n"
                    "    #!/bin/sh\n"
                    "    set -e\n"
                    "\n"
                    "    exec nova-api --config-file /etc/nova/nova.conf\n")


@pytest.mark.parametrize("value, header", [("a\nb", "|-"), ("a\nb\n", "|"), ("a\nb\n\n", "|+"),
                                           ("a\n\n\n", "|+"), (" a\nb\n", "|2"),
                                           ("\na\n", "|2"), ("\ta\nb", "|2-"),
                                           ("[a]\n---\n...\n# c\n", "|"), ("a\tb\nc", "|-")])
def test_block_scalars_get_the_chomping_and_indentation_they_need(value, header):
    text = assert_reads_back({"k": {"v": value}, "l": [value, [value], {"x": value}]})
    assert f"  v: {header}\n" in text


def test_a_document_ending_in_kept_line_breaks_gets_an_end_marker():
    text = assert_reads_back({"a": "x\n\n"})
    assert text == "a: |+\n  x\n\n...\n"
    # So stripping whitespace after the document cannot lose the kept lines.
    assert yaml.safe_load(text.rstrip()) == {"a": "x\n\n"}
    assert not assert_reads_back({"a": "x\n\n", "b": 1}).endswith("...\n")


@pytest.mark.parametrize("value", ["a \nb", "a\t\nb", "a\nb ", "a\r\nb\r\n", "a\rb", "a\x85b\n",
                                   "a\u2028b\n", "\n", "\n\n", "a\n\x07\n", "a\n\ufeff"])
def test_text_a_block_cannot_hold_exactly_is_double_quoted(value):
    text = assert_reads_back({"v": value})
    assert text.startswith('v: "') and text.count("\n") == 1


@pytest.mark.parametrize("value, written", [(1.0, "1.0"), (1e16, "1.0e+16"), (1e-5, "1.0e-05"),
                                            (-0.0, "-0.0"), (0.1, "0.1"), (123456789.125,
                                                                           "123456789.125"),
                                            (float("inf"), ".inf"), (float("-inf"), "-.inf"),
                                            (2.5e-300, "2.5e-300")])
def test_floats_read_back_equal(value, written):
    text = assert_reads_back({"v": value})
    assert text == f"v: {written}\n"


def test_nan_reads_back_as_nan():
    text = yamlio.dump({"v": float("nan")})
    assert text == "v: .nan\n"
    for value in read_all(text).values():
        assert math.isnan(value["v"])


def test_ints_bools_and_null():
    text = assert_reads_back({"i": 10**30, "n": -7, "t": True, "f": False, "z": None})
    assert text == f"i: {10**30}\n'n': -7\nt: true\nf: false\nz: null\n"


def test_keys_of_other_scalar_types():
    obj = {2: "a", True: "b", None: "c", 2.5: "d", "1": "e", "true": "f", "null": "g"}
    text = assert_reads_back(obj)
    assert text == "2: a\ntrue: b\nnull: c\n2.5: d\n'1': e\n'true': f\n'null': g\n"


@pytest.mark.parametrize("obj", [{"when": datetime.date(2024, 1, 1)}, {"raw": b"\x00\x01"},
                                 {("a", "b"): 1}, "just a string", 42])
def test_objects_outside_the_json_shapes_go_through_pyyaml(obj):
    with pytest.raises(emitter.Unsupported):
        emitter.emit(obj)
    assert yamlio.dump(obj) == yamlio.dump_pyyaml(obj)


def test_keys_too_long_for_a_simple_key_go_through_pyyaml():
    obj = {"k" * 200: 1}
    with pytest.raises(emitter.Unsupported):
        emitter.emit(obj)
    assert yamlio.dump(obj).startswith("? ")
    assert yaml.safe_load(yamlio.dump(obj)) == obj


def test_string_subclasses_go_through_pyyaml():
    class Name(str):
        pass
    with pytest.raises(emitter.Unsupported):
        emitter.emit({"v": Name("x")})


def test_deep_nesting_goes_through_pyyaml_or_fails_as_it_did():
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(emitter.Unsupported):
        emitter.emit(deep)


@needs_third_party
def test_fixture_documents_are_written_exactly_as_pyyaml_writes_them():
    documents = [obj for path in THIRD_PARTY
                 for obj in yaml.load_all(path.read_text(), Loader=yamlio.Loader) if obj]
    assert len(documents) > 50
    for obj in documents:
        assert yamlio.dump(obj) == yamlio.dump_pyyaml(obj)
        assert yaml.load(yamlio.dump(obj), Loader=yamlio.Loader) == obj


def test_yaml_12_numbers_and_go_yaml_booleans_are_single_quoted():
    # go-yaml v3 reads YAML 1.2 numbers (1e3, 0o17) that PyYAML keeps as strings.
    obj = {"data": {"a": "1e3", "b": "0o17", "c": "y", "d": ".Inf"}}
    text = yamlio.dump(obj)
    for line in text.splitlines()[1:]:
        assert re.fullmatch(r"  [a-d]: '[^']*'", line)


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (kustomize, go-yaml v3)")
def test_go_yaml_v3_in_kustomize_reads_every_written_string_as_that_string(tmp_path):
    # kustomize turns the resource into JSON for a JSON 6902 patch; a "test"
    # operation there compares what go-yaml v3 read with the intended string.
    # Control characters are left out: kustomize refuses to write them itself.
    values = [v for v in TRICKY if v.isprintable()]
    values += ["a\nb\n", " a\nb", "x\n\n", "\na\n", "é\U0001F600", "a\tb\nc"]
    data = {f"k{i}": value for i, value in enumerate(values)}
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "tricky"}, "data": data}
    (tmp_path / "cm.yaml").write_text(yamlio.dump(obj))
    # The patch library compares JSON texts, and Go escapes <, > and & in one of them.
    tests = [{"op": "test", "path": f"/data/{key}", "value": value}
             for key, value in data.items() if not set(value) & set("<>&")]
    (tmp_path / "patch.json").write_text(json.dumps(tests, ensure_ascii=False))
    (tmp_path / "kustomization.yaml").write_text(
        "resources:\n- cm.yaml\npatches:\n- path: patch.json\n"
        "  target:\n    kind: ConfigMap\n    name: tricky\n")
    proc = subprocess.run(["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # Types were checked above; here the text. kustomize itself writes "<<" plain,
    # which PyYAML would take for a merge key, so every scalar is read as text.
    assert yaml.load(proc.stdout, Loader=yaml.BaseLoader)["data"] == data


@pytest.mark.e2e
def test_go_yaml_v2_in_helm_reads_every_written_value_as_that_value(helm, tmp_path):
    # Helm's fromYaml is sigs.k8s.io/yaml over go-yaml v2, as for manifests;
    # toJson then shows the types it read. base64 keeps the JSON out of YAML's way.
    data = {f"k{i}": value for i, value in enumerate(TRICKY)}
    data.update({value: "key" for value in TRICKY if value})
    data.update({"block": "a\nb\n", "indented": " a\nb", "kept": "x\n\n", "led": "\na\n",
                 "tabs": "a\tb\nc", "unicode": "é\U0001F600\u202e", "c1": "\x85\x7f\u2028",
                 "int": 7, "float": 1e16, "bool": False, "null": None, "list": ["y", [], {}]})
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "files").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: emitted\nversion: 0.1.0\n")
    (chart / "files" / "doc.yaml").write_text(yamlio.dump(data))
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: emitted\ndata:\n"
        '  json: {{ .Files.Get "files/doc.yaml" | fromYaml | toJson | b64enc }}\n')
    out = helm.run("template", "emitted", str(chart)).stdout
    encoded = yaml.safe_load(out)["data"]["json"]
    assert json.loads(base64.b64decode(encoded)) == data
