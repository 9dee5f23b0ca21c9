"""Security: no stage reads a file outside the project root or the overlay, whatever the route."""
from __future__ import annotations

import pytest

from tests.conftest import postrender

STREAM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
PATCH = "--- a/nova/x.py\n+++ b/nova/x.py\n@@ -1 +1 @@\n-a\n+b\n"


@pytest.fixture
def tree(tmp_path):
    """<tmp>/secret/ outside, <tmp>/project/overlays/r/ the region."""
    secret = tmp_path / "secret"
    (secret / "nova").mkdir(parents=True)
    (secret / "nova" / "0001-x.patch").write_text(PATCH)
    (secret / "policy.yaml").write_text("species: {}\n")
    (secret / "cm.yaml").write_text(STREAM)
    overlay = tmp_path / "project" / "overlays" / "r"
    overlay.mkdir(parents=True)
    return tmp_path / "project", overlay, secret


def run(project, *extra):
    return postrender(STREAM, "--root", str(project), "--region", "r", *extra)


def refused(result) -> str:
    assert result.returncode == 4, result.stderr
    assert result.stdout == b""
    message = result.stderr.decode()
    assert "outside the overlay" in message or "is outside" in message, message
    return message


@pytest.mark.parametrize("route", ["dotdot", "symlink"])
def test_overlay_resources_stay_inside(tree, route):
    project, overlay, secret = tree
    if route == "symlink":
        (overlay / "cm.yaml").symlink_to(secret / "cm.yaml")
        ref = "cm.yaml"
    else:
        ref = "../../../secret/cm.yaml"
    (overlay / "kustomization.yaml").write_text(f"resources: [{ref}]\n")
    refused(run(project))


@pytest.mark.parametrize("route", ["dotdot", "symlinked dir", "symlinked patch"])
def test_hotfix_patch_dirs_and_files_stay_inside(tree, route):
    project, overlay, secret = tree
    if route == "dotdot":
        (overlay / "hotfix.yaml").write_text("patchDirs: [../../../secret]\n")
    elif route == "symlinked dir":
        (overlay / "patches").symlink_to(secret)
        (overlay / "hotfix.yaml").write_text("patchDirs: [patches]\n")
    else:
        (overlay / "patches" / "nova").mkdir(parents=True)
        (overlay / "patches" / "nova" / "0001-x.patch").symlink_to(secret / "nova" / "0001-x.patch")
        (overlay / "hotfix.yaml").write_text("patchDirs: [patches]\n")
    refused(run(project))


@pytest.mark.parametrize("route", ["dotdot", "symlink"])
def test_placement_includes_stay_inside(tree, route):
    project, overlay, secret = tree
    if route == "symlink":
        (overlay / "base.yaml").symlink_to(secret / "policy.yaml")
        ref = "base.yaml"
    else:
        ref = "../../../secret/policy.yaml"
    (overlay / "placement.yaml").write_text(f"include: [{ref}]\n")
    refused(run(project))


def test_a_symlinked_region_file_is_refused(tree):
    project, overlay, secret = tree
    (overlay / "check.yaml").symlink_to(secret / "policy.yaml")
    refused(run(project, "--check"))
