"""Bad overlays fail through the real command line with file, entry and reason.

Nothing may reach stdout when the overlay is wrong, the exit code is 4
(configuration error), and the message names the kustomization file, the
entry's index (e.g. patches[1]) and what is wrong.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import postrender
from tests.overlay.cases import SMALL, ops, smp


def _overlay(tmp_path: Path, spec: dict, files: dict | None = None) -> Path:
    overlay = tmp_path / "overlays" / "eu"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    for name, text in (files or {}).items():
        (overlay / name).parent.mkdir(parents=True, exist_ok=True)
        (overlay / name).write_text(text)
    return overlay


def _fails(tmp_path: Path, spec: dict, files: dict | None = None, *args: str) -> str:
    overlay = _overlay(tmp_path, spec, files)
    result = postrender(SMALL, "--overlay", str(overlay), "--root", str(tmp_path), *args)
    assert result.stdout == b""
    assert result.returncode == 4, result.stderr.decode()
    message = result.stderr.decode()
    assert "overlays/eu/kustomization.yaml" in message
    assert "Traceback" not in message
    return message


GOOD = {"patch": smp("Deployment", "web-api", {"spec": {"replicas": 3}})}


def test_untargeted_patch_matching_no_resource_names_entry(tmp_path):
    message = _fails(tmp_path, {"patches": [GOOD, {"patch": smp("Deployment", "nova-api", {})}]})
    assert "patches[1]: no resource matches apps/v1 Deployment nova-api" in message


def test_targeted_patch_matching_nothing_fails_under_check_only(tmp_path):
    spec = {"patches": [GOOD, {"target": {"kind": "Deployment", "name": "nova-.*"},
                               "patch": ops({"op": "remove", "path": "/spec/replicas"})}]}
    overlay = _overlay(tmp_path, spec)
    relaxed = postrender(SMALL, "--overlay", str(overlay), "--root", str(tmp_path))
    assert relaxed.returncode == 0
    assert b"patches[1]: target matches no resource" in relaxed.stderr
    strict = postrender(SMALL, "--overlay", str(overlay), "--root", str(tmp_path), "--check")
    assert strict.returncode == 5 and strict.stdout == b""
    assert b"error: overlays/eu/kustomization.yaml: patches[1]: target matches no resource" \
        in strict.stderr


@pytest.mark.parametrize("operation, reason", [
    ({"op": "frob", "path": "/spec"}, "operation 0: invalid op 'frob'"),
    ({"op": "add", "path": "spec/replicas", "value": 1},
     "operation 0: invalid path 'spec/replicas' (a JSON pointer starts with '/')"),
    ({"op": "add", "path": "/spec/replicas"}, "operation 0: op 'add' needs 'value'"),
    ({"op": "move", "path": "/spec/x"}, "operation 0: op 'move' needs 'from'"),
])
def test_invalid_json6902_operation_names_entry_and_reason(tmp_path, operation, reason):
    message = _fails(tmp_path, {"patches": [
        GOOD, {"target": {"kind": "Service"}, "patch": ops(operation)}]})
    assert f"patches[1]: {reason}" in message


def test_json6902_patch_that_does_not_apply_names_entry_and_document(tmp_path):
    message = _fails(tmp_path, {"patchesJson6902": [{
        "target": {"version": "v1", "kind": "Service", "name": "web-api"},
        "patch": ops({"op": "replace", "path": "/spec/missing/field", "value": 1})}]})
    assert ("patchesJson6902[0]: cannot apply to document 3 Service/web-api "
            "(web/templates/service-api.yaml): operation 0 (replace /spec/missing/field): "
            "there is no mapping or list at /spec/missing") in message


def test_strategic_patch_that_does_not_apply_names_entry(tmp_path):
    message = _fails(tmp_path, {"patches": [GOOD, {"patch": smp(
        "Deployment", "web-api", {"spec": {"$patch": "frob"}})}]})
    assert "patches[1]: cannot apply to document 1 Deployment/web-api" in message
    assert "unknown $patch directive 'frob'" in message


def test_missing_generator_file_names_entry(tmp_path):
    message = _fails(tmp_path, {"configMapGenerator": [
        {"name": "a", "literals": ["x=1"]},
        {"name": "b", "files": ["conf/missing.conf"]}]})
    assert "configMapGenerator[1].files[0]: generator file 'conf/missing.conf' does not exist" \
        in message


def test_missing_env_file_names_entry(tmp_path):
    message = _fails(tmp_path, {"secretGenerator": [{"name": "b", "envs": ["missing.env"]}]})
    assert "secretGenerator[0].envs[0]: generator file 'missing.env' does not exist" in message


def test_missing_patch_file_names_entry(tmp_path):
    message = _fails(tmp_path, {"patches": [{"path": "nope.yaml"}]})
    assert "patches[0].path: 'nope.yaml' does not exist" in message


@pytest.mark.parametrize("field", ["replicas", "helmCharts", "vars", "replacements",
                                   "buildMetadata", "transformers", "crds", "imageTags"])
def test_unsupported_field_is_named(tmp_path, field):
    message = _fails(tmp_path, {field: []})
    assert f"kustomization.yaml: {field}: unsupported kustomize field" in message


def test_unsupported_field_inside_an_entry_is_named(tmp_path):
    message = _fails(tmp_path, {"labels": [{"pairs": {"a": "b"}, "fields": []}]})
    assert "labels[0].fields: unsupported field" in message


def test_resource_outside_the_root_is_refused(tmp_path):
    (tmp_path.parent / "outside.yaml").write_text("apiVersion: v1\nkind: Secret\n")
    message = _fails(tmp_path, {"resources": ["../../../outside.yaml"]})
    assert "resources[0]: '../../../outside.yaml' resolves to" in message
    assert "outside the overlay" in message


def test_remote_resource_is_refused(tmp_path):
    message = _fails(tmp_path, {"resources": ["https://example.com/base"]})
    assert "remote resource 'https://example.com/base' refused" in message


def test_wrong_api_version_is_named(tmp_path):
    message = _fails(tmp_path, {"apiVersion": "kustomize.config.k8s.io/v1alpha1",
                                "kind": "Kustomization"})
    assert ("apiVersion: apiVersion 'kustomize.config.k8s.io/v1alpha1' is not "
            "kustomize.config.k8s.io/v1beta1 (the apiVersion of a Kustomization)") in message


def test_non_string_image_tag_is_named(tmp_path):
    message = _fails(tmp_path, {"images": [{"name": "nginx", "newTag": 1.25}]})
    assert "images[0].newTag: must be a string, not a number (quote it)" in message


def test_generator_replacing_a_missing_object_is_named(tmp_path):
    message = _fails(tmp_path, {"configMapGenerator": [
        {"name": "nova-etc", "behavior": "merge", "literals": ["a=b"]}]})
    assert "configMapGenerator[0]: behavior merge: there is no ConfigMap 'nova-etc'" in message


def test_json_patch_without_target_is_named(tmp_path):
    message = _fails(tmp_path, {"patches": [{"patch": ops({"op": "remove", "path": "/x"})}]})
    assert "patches[0]: a JSON 6902 patch needs a target" in message


def test_file_outside_the_kustomization_directory_is_refused_like_kustomize(tmp_path):
    (tmp_path / "shared.yaml").write_text(smp("Deployment", "web-api", {"spec": {"replicas": 2}}))
    message = _fails(tmp_path, {"patches": [{"path": "../../shared.yaml"}]})
    assert ("patches[0].path: '../../shared.yaml' is outside overlays/eu: kustomize reads "
            "files only inside the kustomization's directory") in message


def test_directory_elsewhere_in_the_project_is_a_kustomization_of_its_own(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "kustomization.yaml").write_text("resources: [secret.yaml]\n")
    (base / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: base}\n")
    overlay = _overlay(tmp_path, {"resources": ["../../base"]})
    result = postrender(SMALL, "--overlay", str(overlay), "--root", str(tmp_path))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().endswith("kind: Secret\nmetadata:\n  name: base\n")


def test_invalid_generator_key_is_named(tmp_path):
    message = _fails(tmp_path, {"configMapGenerator": [{"name": "a", "literals": ["bad key=1"]}]})
    assert "configMapGenerator[0]: 'bad key' is not a valid ConfigMap key" in message


def test_duplicate_generator_key_is_named(tmp_path):
    message = _fails(tmp_path, {"secretGenerator": [{"name": "a", "literals": ["k=1", "k=2"]}]})
    assert "secretGenerator[0]: key 'k' is given twice" in message


def test_patch_naming_one_list_element_twice_is_refused(tmp_path):
    message = _fails(tmp_path, {"patches": [{"patch": smp("Deployment", "web-api", {"spec": {
        "template": {"spec": {"containers": [{"name": "api", "env": [
            {"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}]}}}})}]})
    assert ("patches[0]: cannot apply to document 1 Deployment/web-api "
            "(web/templates/deployment-api.yaml): spec.template.spec.containers[name=api].env: "
            "two elements with name=A") in message


def test_strategic_patch_without_kind_or_name_is_refused_like_kustomize(tmp_path):
    message = _fails(tmp_path, {"patches": [GOOD, {"target": {"kind": "ConfigMap"},
                                                   "patch": "apiVersion: v1\ndata: {y: '2'}\n"}]})
    assert "patches[1]: a strategic merge patch needs kind and metadata.name" in message


def test_bad_target_regex_is_named_with_the_file(tmp_path):
    message = _fails(tmp_path, {"patches": [{"target": {"kind": "("},
                                             "patch": ops({"op": "remove", "path": "/x"})}]})
    assert "kustomization.yaml: patches[0].target.kind: '(' is not a regular expression" in message


def test_patch_that_is_not_yaml_names_the_line(tmp_path):
    message = _fails(tmp_path, {"patches": [{"patch": "{{{"}]})
    assert "patches[0]: the patch is not valid YAML or JSON" in message
    assert "(line 2 of the patch)" in message


def test_options_of_the_wrong_type_are_named(tmp_path):
    message = _fails(tmp_path, {"generatorOptions": []})
    assert "generatorOptions: must be a mapping, not a list" in message
