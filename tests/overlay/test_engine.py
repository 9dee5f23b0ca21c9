"""Unit checks of the overlay engine's parts that need no kubectl.

Values pinned here come from kustomize itself (hashes printed by kubectl
kustomize 5.5) or from the Kubernetes OpenAPI data, never from this code.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from postrender import stream
from postrender.diagnostics import Diagnostics
from postrender.errors import ConfigError
from postrender.overlay import generators, images, load, schemagen, strategic
from postrender.overlay.kustomization import Image, Reader
from postrender.overlay.selector import parse_selector
from postrender.overlaydir import OverlayDir


def test_committed_patch_schema_is_what_schemagen_generates():
    committed = schemagen.OUTPUT.read_text()
    assert committed == schemagen.render(), "run: python -m postrender.overlay.schemagen"


@pytest.mark.parametrize("type_name, field, keys", [
    ("io.k8s.api.core.v1.PodSpec", "containers", ["name"]),
    ("io.k8s.api.core.v1.PodSpec", "initContainers", ["name"]),
    ("io.k8s.api.core.v1.PodSpec", "volumes", ["name"]),
    ("io.k8s.api.core.v1.Container", "env", ["name"]),
    ("io.k8s.api.core.v1.Container", "volumeMounts", ["mountPath"]),
    ("io.k8s.api.core.v1.Container", "ports", ["containerPort", "protocol"]),
    ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers", []),
])
def test_merge_keys_come_from_the_openapi_data(type_name, field, keys):
    assert strategic.schema()["types"][type_name][field][1] == keys


def test_tolerations_have_no_merge_key_so_they_are_replaced():
    assert "tolerations" not in strategic.schema()["types"]["io.k8s.api.core.v1.PodSpec"]
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"},
                  "spec": {"template": {"spec": {"tolerations": [{"key": "a"}]}}}}
    patched = strategic.apply(deployment, {"spec": {"template": {"spec": {
        "tolerations": [{"key": "b"}]}}}})
    assert patched["spec"]["template"]["spec"]["tolerations"] == [{"key": "b"}]
    assert deployment["spec"]["template"]["spec"]["tolerations"] == [{"key": "a"}]


@pytest.mark.parametrize("obj, expected", [
    ({"kind": "ConfigMap", "metadata": {"name": "d"}}, "6ct58987ht"),
    ({"kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"a": "1"}}, "h29d89cmmt"),
    ({"kind": "ConfigMap", "metadata": {"name": "b"}, "data": {"c": "<&>"}}, "2kdkmcc4ck"),
    ({"kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque", "data": {"p": "cQ=="}},
     "hb2dth72f6"),
])
def test_name_hash_is_the_one_kustomize_prints(obj, expected):
    assert generators.name_hash(obj) == expected


@pytest.mark.parametrize("kind, expected", [("Secret", "hgmc82t25t"), ("ConfigMap", "455cc94d65")])
def test_generated_pem_certificate_gets_the_suffix_kustomize_prints(tmp_path, kind, expected):
    # kubectl kustomize 5.5: s-hgmc82t25t and c-455cc94d65 for tests/overlay/inputs/region-ca.pem
    # (a Secret's base64 comes in lines of 70 characters, each ending in a line break).
    pem = Path(__file__).resolve().parent / "inputs" / "region-ca.pem"
    (tmp_path / "region-ca.pem").write_bytes(pem.read_bytes())
    key = "secretGenerator" if kind == "Secret" else "configMapGenerator"
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(
        {key: [{"name": "x", "files": ["ca.crt=region-ca.pem"]}]}))
    (generator,) = Reader(OverlayDir(tmp_path, tmp_path), tmp_path).read().generators
    obj = generators.build(generator, "kustomization.yaml")
    assert generators.name_hash(obj) == expected
    if kind == "Secret":
        lines = obj["data"]["ca.crt"].split("\n")
        assert lines[-1] == "" and {len(line) for line in lines[:-2]} == {70}


def test_command_line_default_stream_name_is_the_overlays():
    from postrender import cli
    from postrender.overlay import STREAM_NAME
    assert cli.STREAM_NAME == STREAM_NAME == "all.yaml"


def test_label_selector_follows_kubernetes_semantics():
    requirements = parse_selector("a=b, c!=d,e in (x, y),f notin (z),g,!h", "t")
    def matches(labels):
        return all(r.matches(labels) for r in requirements)
    assert matches({"a": "b", "e": "x", "g": ""})
    assert not matches({"a": "b", "e": "x", "g": "", "h": "1"})
    assert not matches({"a": "b", "e": "w", "g": ""})
    assert not matches({"a": "b", "e": "x", "g": "", "c": "d"})
    assert not matches({"a": "b", "e": "y", "f": "z", "g": ""})
    with pytest.raises(ConfigError, match="invalid selector"):
        parse_selector("a in b", "t")


@pytest.mark.parametrize("image, entry, expected", [
    ("nginx", Image("i", "nginx", None, "1.25", None), "nginx:1.25"),
    ("host:5000/nginx:1", Image("i", "host:5000/nginx", "mirror/nginx", None, None),
     "mirror/nginx:1"),
    ("nginx:1@sha256:abc", Image("i", "nginx", None, "2", None), "nginx:2"),
    ("nginx@sha256:abc", Image("i", "nginx", None, "2", None), "nginx:2"),
    ("nginx-extra:1", Image("i", "nginx", None, "2", None), None),
])
def test_image_rules_match_like_kustomize(image, entry, expected):  # checked with kubectl 5.5
    assert images.ImageRule(entry).rewrite(image) == expected


def _overlay(tmp_path, spec, files=None):
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(spec))
    for name, text in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return OverlayDir(tmp_path, tmp_path)


def test_no_kustomization_means_no_stage(tmp_path):
    assert load(OverlayDir(tmp_path, tmp_path)) is None


def test_kustomization_under_another_name_is_refused(tmp_path):
    (tmp_path / "kustomization.yml").write_text("namespace: x\n")
    with pytest.raises(ConfigError, match="rename it to kustomization.yaml"):
        load(OverlayDir(tmp_path, tmp_path))


def test_directory_resource_including_itself_is_refused(tmp_path):
    overlay = _overlay(tmp_path, {"resources": ["sub"]},
                       {"sub/kustomization.yaml": yaml.safe_dump({"resources": ["../sub"]})})
    with pytest.raises(ConfigError, match="resources\\[0\\]: directory '../sub' includes itself"):
        load(overlay)


def test_only_changed_documents_are_touched(tmp_path):
    overlay = _overlay(tmp_path, {"images": [{"name": "b", "newTag": "2"}]})
    docs = stream.parse("".join(
        f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {n}}}\n"
        f"spec: {{containers: [{{name: c, image: '{n}:1'}}]}}\n" for n in "abc"))
    out = load(overlay).apply(docs, Diagnostics())
    assert [d.dirty for d in out] == [False, True, False]
    assert out[1].obj["spec"]["containers"][0]["image"] == "b:2"
