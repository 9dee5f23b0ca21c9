"""Patch files and hotfix.yaml are validated before anything is emitted."""
from __future__ import annotations

import pytest

from postrender import hotfix
from postrender.errors import ConfigError
from postrender.overlaydir import OverlayDir
from tests.conftest import postrender
from tests.hotfix import trees
from tests.hotfix.trees import MANAGER, edit

FIXED = {"nova/compute/manager.py": edit(MANAGER, "        return 7\n", "        return 70\n")}
HOTFIX = "patchDirs:\n  - ../../patches\n  - patches\n"
STREAM = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: nova-api}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: nova}}
  template:
    metadata: {labels: {app.kubernetes.io/name: nova}}
    spec:
      containers: [{name: api, image: quay.io/openstack.kolla/nova-api:2025.1}]
"""


@pytest.fixture
def good_patch(tmp_path) -> str:
    work = tmp_path / "work"
    work.mkdir()
    return trees.git_diff(work, trees.upstream(), FIXED)


def project(tmp_path, files: dict[str, str | bytes], hotfix_yaml: str | None = HOTFIX):
    """A project root with overlays/r; returns the OverlayDir."""
    root = tmp_path / "project"
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    (root / "patches").mkdir(parents=True, exist_ok=True)
    (root / "overlays" / "r" / "patches").mkdir(parents=True, exist_ok=True)
    if hotfix_yaml is not None:
        (root / "overlays" / "r" / "hotfix.yaml").write_text(hotfix_yaml)
    return OverlayDir(root / "overlays" / "r", root)


def load_error(overlay) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        hotfix.load(overlay)
    return caught.value


@pytest.mark.parametrize("made_by", ["git_diff", "format_patch", "diff_ruN"])
def test_patches_from_git_diff_format_patch_and_diff_ruN_are_accepted(tmp_path, made_by):
    work = tmp_path / "work"
    work.mkdir()
    text = getattr(trees, made_by)(work, trees.upstream(), FIXED)
    stage = hotfix.load(project(tmp_path, {"patches/nova/0001-fix.patch": text}))
    [patch] = stage.catalog.patches["nova"]
    assert patch.first_target == "nova/compute/manager.py"
    assert patch.text == text


def test_format_patch_mail_headers_and_signature_are_kept(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    text = trees.format_patch(work, trees.upstream(), FIXED)
    assert text.startswith("From ") and "Subject: [PATCH]" in text and "\n-- \n" in text
    stage = hotfix.load(project(tmp_path, {"patches/nova/0001-fix.patch": text}))
    assert stage.catalog.patches["nova"][0].text == text


def test_malformed_diff_names_file_and_line(tmp_path, good_patch):
    lines = good_patch.splitlines(keepends=True)
    hunk = next(i for i, line in enumerate(lines) if line.startswith("@@"))
    broken = "".join(lines[:hunk + 2]) + "this line is no part of a hunk\n" + "".join(lines[hunk + 2:])
    err = load_error(project(tmp_path, {"patches/nova/0001-fix.patch": broken}))
    assert err.file == "patches/nova/0001-fix.patch"
    assert err.line == hunk + 3
    assert "malformed diff" in str(err)


def test_text_without_any_diff_is_malformed(tmp_path):
    err = load_error(project(tmp_path, {"patches/nova/0001-notes.patch": "just some notes\n"}))
    assert "malformed diff" in str(err) and err.file == "patches/nova/0001-notes.patch"


def test_truncated_hunk_is_malformed_at_its_header(tmp_path, good_patch):
    lines = good_patch.splitlines(keepends=True)
    hunk = next(i for i, line in enumerate(lines) if line.startswith("@@"))
    err = load_error(project(tmp_path, {"patches/nova/0001-fix.patch": "".join(lines[:hunk + 3])}))
    assert "malformed diff" in str(err) and err.line == hunk + 1


@pytest.mark.parametrize("bad, reason", [
    ("/usr/lib/python3/dist-packages/nova/compute/manager.py", "absolute path"),
    ("a/../../etc/nova/nova.conf", "leaves site-packages"),
    ("a/nova/../../../etc/passwd", "leaves site-packages"),
    ("manager.py", "no leading level"),
])
def test_paths_must_stay_inside_site_packages(tmp_path, good_patch, bad, reason):
    # A plain unified diff (no 'diff --git' line) with both headers naming the bad path.
    body = good_patch[good_patch.index("@@"):]
    text = f"--- {bad}\n+++ {bad}\n{body}"
    err = load_error(project(tmp_path, {"patches/nova/0001-fix.patch": text}))
    assert reason in str(err)
    assert err.file == "patches/nova/0001-fix.patch"
    assert err.line == 1


def test_dotdot_in_the_target_path_alone_is_rejected_at_its_line(tmp_path, good_patch):
    body = good_patch[good_patch.index("@@"):]
    text = f"--- a/nova/compute/manager.py\n+++ b/../nova/compute/manager.py\n{body}"
    err = load_error(project(tmp_path, {"patches/nova/0001-fix.patch": text}))
    assert "leaves site-packages" in str(err) and err.line == 2


@pytest.mark.parametrize("flags", [(), ("--binary",)])
def test_binary_diff_is_rejected(tmp_path, flags):
    repo = tmp_path / "repo"
    (repo / "nova").mkdir(parents=True)
    (repo / "nova" / "blob.bin").write_bytes(bytes(range(256)))
    trees.git(repo, "init", "-q")
    trees.git(repo, "add", ".")
    trees.git(repo, "commit", "-qm", "one")
    (repo / "nova" / "blob.bin").write_bytes(bytes(range(255, -1, -1)))
    text = trees.git(repo, "diff", *flags)
    err = load_error(project(tmp_path, {"patches/nova/0001-blob.patch": text}))
    assert "binary diff" in str(err) and err.file == "patches/nova/0001-blob.patch"


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_patch_file_is_rejected(tmp_path, content):
    err = load_error(project(tmp_path, {"overlays/r/patches/nova/0001-empty.patch": content},
                             hotfix_yaml="patchDirs: [patches]\n"))
    assert str(err) == "overlays/r/patches/nova/0001-empty.patch: empty patch file"


def test_non_utf8_patch_names_file_and_line(tmp_path, good_patch):
    data = good_patch.encode().replace(b"return 70", b"return \xff70")
    err = load_error(project(tmp_path, {"patches/nova/0001-fix.patch": data}))
    assert "not UTF-8" in str(err) and err.file == "patches/nova/0001-fix.patch"
    assert data.splitlines()[err.line - 1].count(b"\xff") == 1


def test_region_patch_replaces_the_project_wide_one_of_the_same_name(tmp_path, good_patch):
    region = good_patch.replace("return 70", "return 71")
    stage = hotfix.load(project(tmp_path, {
        "patches/nova/0001-fix.patch": good_patch,
        "patches/nova/0002-other.patch": good_patch,
        "overlays/r/patches/nova/0001-fix.patch": region}))
    patches = stage.catalog.patches["nova"]
    assert [(p.name, p.path) for p in patches] == [
        ("0001-fix.patch", "overlays/r/patches/nova/0001-fix.patch"),
        ("0002-other.patch", "patches/nova/0002-other.patch")]
    assert patches[0].text == region


def test_same_name_in_two_project_wide_dirs_is_an_error(tmp_path, good_patch):
    overlay = project(tmp_path, {
        "patches/nova/0001-fix.patch": good_patch,
        "more-patches/nova/0001-fix.patch": good_patch},
        hotfix_yaml="patchDirs: [../../patches, ../../more-patches]\n")
    err = load_error(overlay)
    assert "nova/0001-fix.patch is in two project-wide patch dirs" in str(err)
    assert "patches/nova/0001-fix.patch" in str(err) and "more-patches/nova/0001-fix.patch" in str(err)
    assert err.file == "overlays/r/hotfix.yaml" and err.field == "patchDirs[1]"


def test_same_name_in_two_region_dirs_is_an_error(tmp_path, good_patch):
    overlay = project(tmp_path, {
        "overlays/r/patches/nova/0001-fix.patch": good_patch,
        "overlays/r/urgent/nova/0001-fix.patch": good_patch},
        hotfix_yaml="patchDirs: [patches, urgent]\n")
    assert "is in two region patch dirs" in str(load_error(overlay))


def test_same_file_name_for_two_components_is_no_conflict(tmp_path, good_patch):
    stage = hotfix.load(project(tmp_path, {
        "patches/nova/0001-fix.patch": good_patch,
        "overlays/r/patches/neutron/0001-fix.patch": good_patch}))
    assert sorted(stage.catalog.patches) == ["neutron", "nova"]


def test_overlay_without_hotfix_yaml_declares_no_stage(tmp_path, good_patch):
    assert hotfix.load(project(tmp_path, {"patches/nova/0001-fix.patch": good_patch},
                               hotfix_yaml=None)) is None


@pytest.mark.parametrize("hotfix_yaml, message", [
    ("patchDirs: [../../patches]\npatchdir: x\n", "unknown key(s) patchdir"),
    ("patchDirs: ../../patches\n", "must be a list"),
    ("patchDirs: [../../missing]\n", "'../../missing' is not a directory"),
    ("patchDirs: [../../../outside]\n", "outside the overlay"),
    ("patchDirs: [../../patches, ../r/../../patches]\n", "is the same dir as patchDirs[0]"),
    ("- ../../patches\n", "must be a mapping"),
])
def test_bad_hotfix_yaml_is_rejected(tmp_path, good_patch, hotfix_yaml, message):
    (tmp_path / "outside" / "nova").mkdir(parents=True)
    err = load_error(project(tmp_path, {"patches/nova/0001-fix.patch": good_patch},
                             hotfix_yaml=hotfix_yaml))
    assert message in str(err) and err.file == "overlays/r/hotfix.yaml"


@pytest.mark.parametrize("relative, message", [
    ("patches/Nova/0001-fix.patch", "component dir name 'Nova'"),
    ("patches/nova/0001-fix.diff", "only *.patch files"),
    ("patches/nova/fix me.patch", "becomes a ConfigMap key"),
])
def test_bad_patch_dir_layout_is_rejected(tmp_path, good_patch, relative, message):
    err = load_error(project(tmp_path, {relative: good_patch}))
    assert message in str(err)


def test_bad_patch_fails_the_render_with_nothing_on_stdout(tmp_path, good_patch):
    body = good_patch[good_patch.index("@@"):]
    overlay = project(tmp_path, {"patches/nova/0001-fix.patch":
                                 f"--- /nova/compute/manager.py\n+++ /nova/compute/manager.py\n{body}"})
    result = postrender(STREAM, "--root", str(overlay.root), "--region", "r")
    assert result.returncode == 4
    assert result.stdout == b""
    stderr = result.stderr.decode()
    assert "patches/nova/0001-fix.patch:" in stderr and "absolute path" in stderr
    assert "Traceback" not in stderr
