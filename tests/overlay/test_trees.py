"""Kustomization trees through the real command line and real Helm.

The acceptance of issue 15: an operator's tree written for kustomize as the
post-renderer (tests/overlay/example-tree: a script writes Helm's output to
base/all.yaml and builds an overlay) gives the same objects through
osh-postrender, with no file changed, under Helm 3 and Helm 4; Helm still
maps every document back to its template. Then what the command line says
about trees: warnings that --check turns into errors, and bad trees.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, postrender
from tests.overlay.cases import SMALL, ops, smp
from tests.overlay.differential import KUBECTL, by_id

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")]

EXAMPLE = Path(__file__).resolve().parent / "example-tree"
CHART = ROOT / "tests" / "e2e" / "chart"
HELM4_FILENAME = "postrenderer.helm.sh/postrender-filename"


def objects(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def sources(text: str) -> dict:
    """id -> the template Helm says the document came from (its `# Source:` line)."""
    out = {}
    for piece in text.split("\n---\n"):
        source = next((line[len("# Source: "):] for line in piece.splitlines()
                       if line.startswith("# Source: ")), None)
        obj = yaml.safe_load(piece.split("\n", 1)[1] if piece.startswith("---") else piece)
        if obj:
            out[tuple(by_id([obj]))[0]] = source
    return out


@pytest.fixture
def tree(tmp_path) -> Path:
    """The operator's tree, as it is, in a directory of its own."""
    copy = tmp_path / "deploy"
    shutil.copytree(EXAMPLE, copy)
    return copy


def _kustomize_post_renderer(helm, tree: Path, tmp_path: Path) -> list[str]:
    """The post-renderer arguments that run the operator's own script."""
    if helm.major == 3:
        return ["--post-renderer", str(tree / "kustomize-post-renderer.sh")]
    plugin = tmp_path / "kustomize-script"
    plugin.mkdir()
    (plugin / "plugin.yaml").write_text(
        "apiVersion: v1\ntype: postrenderer/v1\nname: kustomize-script\nversion: 0.1.0\n"
        "runtime: subprocess\nruntimeConfig:\n  platformCommand:\n"
        "    - command: ${HELM_PLUGIN_DIR}/run.sh\n")
    (plugin / "run.sh").write_text('#!/bin/sh\nexec "$1/kustomize-post-renderer.sh" "$2"\n')
    (plugin / "run.sh").chmod(0o755)
    helm.run("plugin", "install", str(plugin))
    return ["--post-renderer", "kustomize-script", f"--post-renderer-args={tree}"]


@pytest.mark.parametrize("overlay", ["eu", "eu-tls"])
def test_a_kustomize_post_renderer_tree_gives_kustomizes_objects_unchanged(
        helm, tree, tmp_path, overlay):
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    script = _kustomize_post_renderer(helm, tree, tmp_path)
    try:
        theirs = helm.run("template", "r", str(CHART), *script,
                          f"--post-renderer-args={overlay}").stdout
    finally:
        if helm.major == 4:
            helm.run("plugin", "uninstall", "kustomize-script")
    # The script left Helm's output in base/all.yaml: osh-postrender runs on the
    # very same tree, with the stream standing where that file is listed.
    written = (tree / "base" / "all.yaml").read_text()
    assert "kind: Deployment" in written
    ours = helm.run("template", "r", str(CHART), *helm.post_renderer_args(
        f"--overlay={tree / 'overlays' / overlay}", f"--root={tree}")).stdout
    assert by_id(objects(ours)) == by_id(objects(theirs))
    assert [tuple(by_id([o]))[0] for o in objects(ours)] == \
        [tuple(by_id([o]))[0] for o in objects(theirs)]     # sortOptions: the same order
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == \
        {**before, tree / "base" / "all.yaml": written.encode()}
    if helm.major == 4:
        # Helm maps each document back to its template by the annotation it strips.
        assert sources(ours) == sources(theirs)
        assert set(sources(ours).values()) >= {"e2e/templates/deployment.yaml",
                                               "e2e/templates/job-hook.yaml"}


def test_helm3_show_only_finds_a_template_in_a_sorted_tree_output(helm3, tree):
    shown = helm3.run("template", "r", str(CHART), "--show-only", "templates/deployment.yaml",
                      *helm3.post_renderer_args(f"--overlay={tree / 'overlays' / 'eu'}",
                                                f"--root={tree}")).stdout
    (deployment,) = objects(shown)
    assert deployment["kind"] == "Deployment" and deployment["spec"]["replicas"] == 3
    assert shown.startswith("---\n# Source: e2e/templates/deployment.yaml\n")


def test_legacy_sort_moves_each_document_with_its_source_comment_and_annotation(tmp_path):
    helm4_stream = SMALL.replace("# Source: ", "# Was: ")
    for text, header in ((SMALL, "# Source: "), (helm4_stream, None)):
        if header is None:  # Helm 4: the file is an annotation instead of a comment
            docs = []
            for piece in text.split("---\n")[1:]:
                source = piece.split("\n", 1)[0][len("# Was: "):]
                obj = yaml.safe_load(piece)
                obj["metadata"].setdefault("annotations", {})[HELM4_FILENAME] = source
                docs.append("---\n" + yaml.safe_dump(obj, sort_keys=False))
            text = "".join(docs)
        overlay = tmp_path / header.strip() if header else tmp_path / "helm4"
        overlay.mkdir()
        (overlay / "kustomization.yaml").write_text(
            "sortOptions: {order: legacy}\ncommonLabels: {region: eu}\n")
        result = postrender(text, "--overlay", str(overlay), "--root", str(tmp_path))
        assert result.returncode == 0, result.stderr
        out = result.stdout.decode()
        kinds = [o["kind"] for o in objects(out)]
        assert kinds[:3] == ["ServiceAccount", "ClusterRole", "RoleBinding"]
        expected = {tuple(by_id([o]))[0]: s for o, s in zip(
            objects(SMALL), (p.split("\n", 1)[0][len("# Source: "):]
                             for p in SMALL.split("---\n")[1:]))}
        if header:
            assert sources(out) == expected
        else:
            assert {k: o["metadata"]["annotations"][HELM4_FILENAME]
                    for k, o in by_id(objects(out)).items()} == expected


def test_the_docs_show_the_example_tree_as_it_is():
    shown = (ROOT / "README.md").read_text() + (ROOT / "docs" / "overlay.md").read_text()
    for path in sorted(EXAMPLE.rglob("*")):
        if path.is_file() and path.suffix in (".yaml", ".sh"):
            assert path.read_text() in shown, f"the docs do not show {path} as it is"


# -- the command line on trees ---------------------------------------------------------
def _tree(tmp_path: Path, files: dict) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str)
                        else yaml.safe_dump(content, sort_keys=False))
    return tmp_path


def _run(tmp_path: Path, overlay: str, *args: str, stream: str = SMALL):
    return postrender(stream, "--overlay", str(tmp_path / overlay), "--root", str(tmp_path), *args)


def test_a_file_where_the_stream_stands_is_never_read(tmp_path):
    _tree(tmp_path, {"base/kustomization.yaml": {"resources": ["all.yaml"]},
                     "base/all.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stale}\n",
                     "eu/kustomization.yaml": {"resources": ["../base"]}})
    result = _run(tmp_path, "eu")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == SMALL and result.stderr == b""


def test_stream_name_option_names_the_file_that_stands_for_the_stream(tmp_path):
    _tree(tmp_path, {"base/kustomization.yaml": {"resources": ["helm.yaml", "all.yaml"]},
                     "base/all.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n",
                     "eu/kustomization.yaml": {"resources": ["../base"]}})
    result = _run(tmp_path, "eu", "--stream-name", "helm.yaml")
    assert result.returncode == 0, result.stderr
    assert [o["metadata"]["name"] for o in objects(result.stdout.decode())][-2:] == \
        ["web-widget", "mine"]
    missing = _run(tmp_path, "eu")
    assert missing.returncode == 4 and missing.stdout == b""
    assert (b"base/kustomization.yaml: resources[0]: 'helm.yaml' does not exist (if it stands "
            b"for the Helm stream, name it with --stream-name helm.yaml)") in missing.stderr


@pytest.mark.parametrize("value", ["base/all.yaml", ""])
def test_stream_name_must_be_a_file_name(tmp_path, value):
    result = _run(tmp_path, ".", f"--stream-name={value}")
    assert result.returncode == 2 and result.stdout == b""
    assert b"--stream-name" in result.stderr and b"is not a file name" in result.stderr


def test_the_stream_listed_twice_in_the_tree_is_refused_naming_both(tmp_path):
    _tree(tmp_path, {"a/kustomization.yaml": {"resources": ["all.yaml"]},
                     "b/kustomization.yaml": {"bases": ["all.yaml"]},
                     "top/kustomization.yaml": {"resources": ["../a", "../b"]}})
    result = _run(tmp_path, "top")
    assert result.returncode == 4 and result.stdout == b""
    assert (b"top/kustomization.yaml: the Helm stream (all.yaml) is listed more than once in "
            b"the tree: a/kustomization.yaml: resources[0]; b/kustomization.yaml: bases[0]"
            ) in result.stderr


@pytest.mark.parametrize("where", ["base", "component"])
def test_a_patch_matching_nothing_in_a_base_or_component_is_reported_and_fails_check(
        tmp_path, where):
    entry = {"target": {"kind": "Deployment", "name": "nova-api"},
             "patch": ops({"op": "add", "path": "/spec/paused", "value": True})}
    included = {"resources": ["all.yaml"], "patches": [entry]} if where == "base" else \
        {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component",
         "patches": [entry]}
    _tree(tmp_path, {f"{where}/kustomization.yaml": included,
                     "top/kustomization.yaml": {"resources": ["../base"]} if where == "base"
                     else {"components": ["../component"]}})
    relaxed = _run(tmp_path, "top")
    assert relaxed.returncode == 0, relaxed.stderr
    message = f"{where}/kustomization.yaml: patches[0]: target matches no resource".encode()
    assert b"warning: " + message in relaxed.stderr
    strict = _run(tmp_path, "top", "--check")
    assert strict.returncode == 5 and strict.stdout == b""
    assert b"error: " + message in strict.stderr


def test_a_patch_element_kustomize_drops_is_dropped_alike_and_fails_check(tmp_path):
    _tree(tmp_path, {"kustomization.yaml": {"patches": [{"patch": smp(
        "Deployment", "web-api", {"spec": {"template": {"spec": {"containers": [
            {"name": "api", "ports": [{"containerPort": 5000, "name": "public"}]}]}}}})}]}})
    relaxed = _run(tmp_path, ".")
    assert relaxed.returncode == 0, relaxed.stderr
    api = next(o for o in objects(relaxed.stdout.decode()) if o["metadata"]["name"] == "web-api"
               and o["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "http", "containerPort": 5000, "protocol": "TCP"} in api["ports"]
    assert (b"kustomization.yaml: patches[0]: document 1 Deployment/web-api "
            b"(web/templates/deployment-api.yaml): spec.template.spec.containers[name=api].ports:"
            b" kustomize's merge drops the patch's element containerPort=5000 (a list merged by "
            b"containerPort, protocol)") in relaxed.stderr
    strict = _run(tmp_path, ".", "--check")
    assert strict.returncode == 5 and strict.stdout == b""


def test_sort_options_below_the_top_are_a_warning(tmp_path):
    _tree(tmp_path, {"base/kustomization.yaml": {"resources": ["all.yaml"],
                                                 "sortOptions": {"order": "legacy"}},
                     "top/kustomization.yaml": {"resources": ["../base"]}})
    result = _run(tmp_path, "top")
    assert result.returncode == 0 and result.stdout.decode() == SMALL
    assert (b"warning: base/kustomization.yaml: sortOptions: has no effect: kustomize reads "
            b"sortOptions only from the top kustomization") in result.stderr


@pytest.mark.parametrize("files, overlay, message", [
    ({"kustomization.yaml": {"resources": ["c"]},
      "c/kustomization.yaml": {"apiVersion": "kustomize.config.k8s.io/v1alpha1",
                               "kind": "Component"}},
     ".", "c/kustomization.yaml: kind: a Component is included through components, "
          "not resources or bases"),
    ({"kustomization.yaml": {"components": ["k"]}, "k/kustomization.yaml": {"namespace": "x"}},
     ".", "k/kustomization.yaml: kind: listed under components, so it must be a kind: Component"),
    ({"kustomization.yaml": {"components": ["c.yaml"]}, "c.yaml": "kind: Component\n"},
     ".", "kustomization.yaml: components[0]: 'c.yaml' is not a directory"),
    ({"kustomization.yaml": {"resources": ["base"]},
      "base/kustomization.yml": {"resources": ["all.yaml"]}},
     ".", "kustomization.yaml: resources[0]: directory 'base' has no kustomization.yaml "
          "(rename its kustomization.yml to kustomization.yaml)"),
    ({"kustomization.yaml": {"sortOptions": {"order": "kind"}}},
     ".", "kustomization.yaml: sortOptions.order: must be one of legacy, fifo, not 'kind'"),
    ({"kustomization.yaml": {"sortOptions": {"order": "fifo", "legacySortOptions": {}}}},
     ".", "kustomization.yaml: sortOptions.legacySortOptions: is set but the order is 'fifo', "
          "not 'legacy'"),
    ({"kustomization.yaml": {"sortOptions": {"order": "legacy", "legacySortOptions": {
        "orderFirst": [1]}}}},
     ".", "kustomization.yaml: sortOptions.legacySortOptions.orderFirst[0]: must be a kind"),
    ({"kustomization.yaml": {"patches": [{"target": {"kind": "Service"}, "patch":
                                          smp("Service", "a", {}, api_version="v1") + "---\n"
                                          + smp("Service", "b", {}, api_version="v1")}]}},
     ".", "kustomization.yaml: patches[0]: holds 2 strategic merge patches: with a target, "
          "kustomize takes only one per entry"),
])
def test_a_bad_tree_names_the_file_the_entry_and_the_reason(tmp_path, files, overlay, message):
    _tree(tmp_path, files)
    result = _run(tmp_path, overlay)
    assert result.returncode == 4 and result.stdout == b"", result.stderr
    assert f"osh-postrender: error: {message}".encode() in result.stderr
