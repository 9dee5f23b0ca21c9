"""Nothing is read outside the project root or the overlay directory."""
from __future__ import annotations

import pytest

from postrender.errors import ConfigError
from postrender.overlaydir import OverlayDir


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "project"
    overlay = root / "overlays" / "eu"
    overlay.mkdir(parents=True)
    (root / "placement").mkdir()
    (root / "placement" / "base.yaml").write_text("shared\n")
    (overlay / "local.yaml").write_text("local\n")
    (tmp_path / "outside.txt").write_text("secret\n")
    return root, overlay, tmp_path / "outside.txt"


def test_files_in_the_overlay_and_the_project_root_are_read(tree):
    root, overlay, _ = tree
    overlay_dir = OverlayDir(overlay, root)
    assert overlay_dir.read_text("local.yaml") == "local\n"
    assert overlay_dir.read_text("../../placement/base.yaml") == "shared\n"


@pytest.mark.parametrize("reference", ["../../../outside.txt", "/etc/passwd"])
def test_paths_leaving_the_root_are_refused(tree, reference):
    root, overlay, _ = tree
    with pytest.raises(ConfigError, match="outside the overlay"):
        OverlayDir(overlay, root).read_text(reference)


def test_symlink_escaping_the_root_is_refused(tree):
    root, overlay, outside = tree
    (overlay / "link.yaml").symlink_to(outside)
    (overlay / "linkdir").symlink_to(outside.parent)
    overlay_dir = OverlayDir(overlay, root)
    for reference in ("link.yaml", "linkdir/outside.txt"):
        with pytest.raises(ConfigError, match="outside the overlay"):
            overlay_dir.read_text(reference)


def test_overlay_outside_the_root_may_read_itself_only(tmp_path, tree):
    root, _, outside = tree
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "own.yaml").write_text("own\n")
    overlay_dir = OverlayDir(elsewhere, root)
    assert overlay_dir.read_text("own.yaml") == "own\n"
    with pytest.raises(ConfigError):
        overlay_dir.read_text("../outside.txt")


@pytest.mark.parametrize("reference", ["https://example.com/k.yaml", "git@github.com:a/b",
                                       "github.com/a/b//dir"])
def test_remote_resources_are_refused(tree, reference):
    root, overlay, _ = tree
    with pytest.raises(ConfigError, match="remote resource"):
        OverlayDir(overlay, root).read_text(reference)


def test_missing_file_and_non_utf8_are_clear_errors(tree):
    root, overlay, _ = tree
    (overlay / "bad.yaml").write_bytes(b"a: \xff\n")
    overlay_dir = OverlayDir(overlay, root)
    with pytest.raises(ConfigError, match="does not exist"):
        overlay_dir.read_text("nope.yaml")
    with pytest.raises(ConfigError, match="not UTF-8") as info:
        overlay_dir.read_text("bad.yaml")
    assert info.value.line == 1 and info.value.file == "overlays/eu/bad.yaml"
