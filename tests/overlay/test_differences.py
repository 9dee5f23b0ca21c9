"""Every intended difference from `kubectl kustomize`, shown on both sides.

Each test runs real kustomize and the overlay stage on the same input and
asserts what each does, so a change in either is noticed. docs/overlay.md
lists the same differences and why they are intended.
"""
from __future__ import annotations

import pytest
import yaml

from postrender.diagnostics import Diagnostics
from postrender.errors import ConfigError
from tests.overlay.cases import SMALL, ops, pod, smp
from tests.overlay.differential import (KUBECTL, Case, KustomizeFailed, engine,
                                        engine_documents, engine_list, key, kustomize,
                                        kustomize_list)

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")]

WEB_API = ("apps/v1", "Deployment", "", "web-api")


def _spec(objects: dict) -> dict:
    return objects[WEB_API]["spec"]["template"]["spec"]


def test_set_element_order_directive_is_applied_where_kustomize_leaks_it(tmp_path):
    case = Case(SMALL, {"patches": [{"patch": smp("Deployment", "web-api", pod({
        "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "api"}],
        "containers": [{"name": "api", "image": "api:2"}]}))}]})
    theirs, ours = _spec(kustomize(case, tmp_path / "k")), _spec(engine(case, tmp_path / "e"))
    assert "$setElementOrder/containers" in theirs
    assert "$setElementOrder/containers" not in ours
    assert [c["name"] for c in ours["containers"]] == ["sidecar", "api"]
    assert ours["containers"][1]["image"] == "api:2"


def test_delete_from_primitive_list_is_applied_where_kustomize_leaks_it(tmp_path):
    case = Case(SMALL, {"patches": [{"patch": smp("Deployment", "web-api", {
        "metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["b"]}})},
        {"patch": smp("Widget", "web-widget", {"metadata": {
            "$deleteFromPrimitiveList/finalizers": ["example.org/cleanup"]}},
            api_version="example.org/v1")}]})
    theirs = kustomize(case, tmp_path / "k")
    ours = engine(case, tmp_path / "e")
    widget = ("example.org/v1", "Widget", "", "web-widget")
    assert "$deleteFromPrimitiveList/finalizers" in theirs[widget]["metadata"]
    assert "finalizers" in theirs[widget]["metadata"]
    assert ours[widget]["metadata"].get("finalizers") == []
    assert "$deleteFromPrimitiveList/finalizers" not in ours[widget]["metadata"]


def test_retain_keys_is_applied_where_kustomize_leaks_it(tmp_path):
    case = Case(SMALL, {"patches": [{"patch": smp("Deployment", "web-api", pod({"volumes": [
        {"name": "etc", "$retainKeys": ["name", "emptyDir"], "emptyDir": {}}]}))}]})
    theirs, ours = _spec(kustomize(case, tmp_path / "k")), _spec(engine(case, tmp_path / "e"))
    their_etc = next(v for v in theirs["volumes"] if v["name"] == "etc")
    our_etc = next(v for v in ours["volumes"] if v["name"] == "etc")
    assert "$retainKeys" in their_etc and "configMap" in their_etc
    assert our_etc == {"name": "etc", "emptyDir": {}}


def test_list_replace_directive_on_a_missing_list_is_applied_where_kustomize_leaks_it(tmp_path):
    case = Case(SMALL, {"patches": [{"patch": smp("Deployment", "web-api", pod({"containers": [
        {"name": "sidecar", "env": [{"$patch": "replace"}, {"name": "B", "value": "2"}]}]}))}]})
    theirs, ours = _spec(kustomize(case, tmp_path / "k")), _spec(engine(case, tmp_path / "e"))
    their_sidecar = next(c for c in theirs["containers"] if c["name"] == "sidecar")
    our_sidecar = next(c for c in ours["containers"] if c["name"] == "sidecar")
    assert their_sidecar["env"][0] == {"$patch": "replace"}
    assert our_sidecar["env"] == [{"name": "B", "value": "2"}]


def test_element_named_twice_in_a_patch_is_refused_where_kustomize_keeps_one(tmp_path):
    case = Case(SMALL, {"patches": [{"patch": smp("Deployment", "web-api", pod({"containers": [
        {"name": "api", "env": [{"name": "A", "value": "x"}, {"name": "A", "value": "y"}]}]}))}]})
    their_api = _spec(kustomize(case, tmp_path / "k"))["containers"][0]
    assert [e for e in their_api["env"] if e["name"] == "A"] == [{"name": "A", "value": "x"}]
    with pytest.raises(ConfigError, match="env: two elements with name=A"):
        engine(case, tmp_path / "e")


def test_unquoted_date_in_a_patch_stays_as_written_where_kustomize_makes_a_timestamp(tmp_path):
    case = Case(SMALL, {"patches": [{"patch": smp("Widget", "web-widget", {
        "spec": {"since": "DATE"}}, api_version="example.org/v1").replace("DATE", "2024-01-01")}]})
    widget = ("example.org/v1", "Widget", "", "web-widget")
    assert kustomize(case, tmp_path / "k")[widget]["spec"]["since"] == "2024-01-01T00:00:00Z"
    assert engine(case, tmp_path / "e")[widget]["spec"]["since"] == "2024-01-01"


def test_invalid_generated_key_is_refused_where_kustomize_writes_it(tmp_path):
    case = Case(SMALL, {"configMapGenerator": [{"name": "e", "envs": ["e.env"]}]},
                {"e.env": "export REGION=eu\n"})
    generated = next(o for k, o in kustomize(case, tmp_path / "k").items() if k[3].startswith("e-"))
    assert generated["data"] == {"export REGION": "eu"}      # the API server rejects this key
    with pytest.raises(ConfigError, match="'export REGION' is not a valid ConfigMap key"):
        engine(case, tmp_path / "e")


def test_bare_y_in_the_kustomization_is_a_string_where_kustomize_reads_a_boolean(tmp_path):
    case = Case(SMALL, {"commonLabels": {"ha": "y"}})
    with pytest.raises(KustomizeFailed, match="cannot unmarshal bool"):
        kustomize(case, tmp_path / "k")
    service = engine(case, tmp_path / "e")[("v1", "Service", "", "web-api")]
    assert service["metadata"]["labels"]["ha"] == "y"


def test_target_matching_nothing_is_a_strict_warning_where_kustomize_is_silent(tmp_path):
    case = Case(SMALL, {"patches": [
        {"target": {"kind": "Deployment", "name": "web-api"},
         "patch": ops({"op": "add", "path": "/spec/paused", "value": True})},
        {"target": {"kind": "Deployment", "name": "nova-api"},
         "patch": ops({"op": "add", "path": "/spec/paused", "value": True})}]})
    diagnostics = Diagnostics(check=True)
    assert engine(case, tmp_path / "e", diagnostics) == kustomize(case, tmp_path / "k")
    (finding,) = diagnostics.findings
    assert finding.strict
    assert "kustomization.yaml: patches[1]: target matches no resource" in finding.message


def test_without_sort_options_the_tree_order_is_kept_where_kustomize_sorts_by_kind(tmp_path):
    case = Case(SMALL, {"resources": ["ns.yaml"], "configMapGenerator": [
        {"name": "extra", "literals": ["a=b"]}]},
        {"ns.yaml": yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace",
                                    "metadata": {"name": "openstack"}})})
    theirs = [k[1] for k in kustomize(case, tmp_path / "k")]
    ours = [d.kind for d in engine_documents(case, tmp_path / "e")]
    stream_kinds = [d["kind"] for d in yaml.safe_load_all(SMALL) if d]
    assert ours == stream_kinds + ["Namespace", "ConfigMap"]
    assert theirs[0] == "Namespace" and theirs != ours
    assert sorted(theirs) == sorted(ours)
    # Asked for, kustomize's order is given (test_differential.py has more).
    legacy = Case(case.stream, {**case.kustomization, "sortOptions": {"order": "legacy"}},
                  case.files)
    assert [key(o) for o in engine_list(legacy, tmp_path / "e2")] == \
        [key(o) for o in kustomize_list(legacy, tmp_path / "k2")]


def test_core_namespace_goes_before_other_namespace_kinds_where_kustomize_order_is_go_sort(
        tmp_path):
    # Namespace unranked and a Namespace kind of another group: kustomize's
    # comparison contradicts itself, and Go's sort algorithm decides.
    stream = "".join(f"---\napiVersion: {api}\nkind: {kind}\nmetadata: {{name: n{i}}}\n"
                     for i, (api, kind) in enumerate([
                         ("v1", "Namespace"), ("zz.io/v1", "Thing"), ("a.io/v2", "Namespace"),
                         ("batch/v1", "Job"), ("apps/v1", "Deployment"), ("v1", "Service"),
                         ("example.org/v1", "Namespace"), ("v1", "ConfigMap"),
                         ("v1", "Namespace"), ("example.org/v1", "Widget"),
                         ("zeta.io/v1", "Namespace"), ("v1", "Service")]))
    case = Case(stream, {"sortOptions": {"order": "legacy", "legacySortOptions": {}}})
    theirs = [key(o) for o in kustomize_list(case, tmp_path / "k")]
    ours = [key(o) for o in engine_list(case, tmp_path / "e")]
    assert sorted(theirs) == sorted(ours) and theirs != ours
    # Ours: by group, version and kind, the core Namespaces right before the first
    # other Namespace kind.
    assert [k[:2] for k in ours] == [
        ("v1", "Namespace"), ("v1", "Namespace"), ("a.io/v2", "Namespace"),
        ("apps/v1", "Deployment"), ("batch/v1", "Job"), ("example.org/v1", "Namespace"),
        ("example.org/v1", "Widget"), ("zeta.io/v1", "Namespace"), ("zz.io/v1", "Thing"),
        ("v1", "ConfigMap"), ("v1", "Service"), ("v1", "Service")]


def test_unknown_directive_in_new_content_is_refused_where_kustomize_copies_it(tmp_path):
    case = Case(SMALL, {"patches": [{"patch": smp("Deployment", "web-api", pod({"containers": [
        {"name": "new", "image": "x:1", "$patch": "frob"}]}))}]})
    new = next(c for c in _spec(kustomize(case, tmp_path / "k"))["containers"]
               if c["name"] == "new")
    assert new["$patch"] == "frob"
    with pytest.raises(ConfigError, match=r"containers\[name=new\]: unknown \$patch directive"):
        engine(case, tmp_path / "e")


@pytest.mark.parametrize("op", ["add", "replace"])
def test_json6902_operation_without_value_is_refused_where_kustomize_writes_null(tmp_path, op):
    case = Case(SMALL, {"patches": [{"target": {"kind": "Service"},
                                     "patch": f"- op: {op}\n  path: /spec/type\n"}]})
    assert kustomize(case, tmp_path / "k")[("v1", "Service", "", "web-api")]["spec"]["type"] \
        is None
    with pytest.raises(ConfigError, match=f"operation 0: op '{op}' needs 'value'"):
        engine(case, tmp_path / "e")


def test_untouched_documents_keep_their_text_where_kustomize_rewrites_all(tmp_path):
    case = Case(SMALL, {"images": [{"name": "docker.io/library/mariadb", "newTag": "11.8"}]})
    documents = engine_documents(case, tmp_path / "e")
    changed = [d for d in documents if d.dirty]
    assert [d.name for d in changed] == ["db-server"]
    for doc in documents:
        if not doc.dirty:
            assert doc.text in SMALL
    case.write(tmp_path / "k", with_stream=True)
    import subprocess
    out = subprocess.run([KUBECTL, "kustomize", str(tmp_path / "k")], capture_output=True,
                         text=True, check=True).stdout
    assert "# Source:" not in out          # kustomize drops Helm 3's comments


@pytest.mark.parametrize("field", ["namePrefix", "nameSuffix"])
def test_name_prefix_and_suffix_are_refused_where_kustomize_renames(tmp_path, field):
    case = Case(SMALL, {field: "eu-"})
    renamed = kustomize(case, tmp_path / "k")
    assert all("eu-" in k[3] for k in renamed if k[1] != "ClusterRole")
    with pytest.raises(ConfigError) as raised:
        engine(case, tmp_path / "e")
    assert f"kustomization.yaml: {field}: not supported" in str(raised.value)


def test_duplicate_ids_fail_on_both_sides(tmp_path):
    duplicate = SMALL + "---\n" + SMALL.split("---\n")[1]
    case = Case(duplicate, {"commonLabels": {"region": "eu"}})
    with pytest.raises(KustomizeFailed):
        kustomize(case, tmp_path / "k")
    with pytest.raises(Exception, match="defined twice"):
        engine(case, tmp_path / "e")


def test_patch_element_kustomize_drops_is_dropped_alike_with_a_strict_warning(tmp_path):
    case = Case(SMALL, {"patches": [{"patch": smp("Deployment", "web-api", pod({"containers": [
        {"name": "api", "ports": [{"containerPort": 5000, "name": "public"}]}]}))}]})
    diagnostics = Diagnostics(check=True)
    ours = engine(case, tmp_path / "e", diagnostics)
    assert ours == kustomize(case, tmp_path / "k")
    port = next(p for p in _spec(ours)["containers"][0]["ports"] if p["containerPort"] == 5000)
    assert port["name"] == "http"        # the patch's name: public is lost on both sides
    (finding,) = diagnostics.findings
    assert finding.strict and "drops the patch's element containerPort=5000" in finding.message
