"""osh-start.sh run for real (/bin/sh and GNU patch) against fake Kolla venvs."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.hotfix import trees
from tests.hotfix.trees import AGENT, MANAGER, edit

MANAGER_FIXED = edit(MANAGER, "        return 7\n", "        return 7  # fixed\n")
AGENT_FIXED = edit(AGENT, "    return router.id + 3\n", "    return router.id + 3  # fixed\n")


@pytest.fixture
def patches(tmp_path):
    """One nova patch made each way, and a neutron patch."""
    work = tmp_path / "work"
    work.mkdir()
    original = trees.upstream()
    manager = {"nova/compute/manager.py": MANAGER_FIXED}
    return {
        "git-diff": trees.git_diff(work, original, manager),
        "format-patch": trees.format_patch(work, original, manager),
        "diff-ruN": trees.diff_ruN(work, original, manager),
        "neutron": trees.git_diff(work / "n", original, {"neutron/agent/l3/agent.py": AGENT_FIXED}),
    }


@pytest.mark.parametrize("made_by", ["git-diff", "format-patch", "diff-ruN"])
def test_start_applies_patch_then_execs_the_command(tmp_path, patches, made_by):
    site = trees.venv(tmp_path / "venv")
    root = trees.patch_root(tmp_path / "mounts", {"nova-patches": {"0001-fix.patch": patches[made_by]}})
    result = trees.start(tmp_path / "venv", root, "/bin/echo", "kolla_start", "--flag")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "kolla_start --flag\n"  # exec'd with the arguments intact
    assert (site / "nova/compute/manager.py").read_text() == MANAGER_FIXED
    assert "0001-fix.patch: applied" in result.stderr
    assert not list(site.rglob("*.orig")) and not list(site.rglob("*.rej"))


@pytest.mark.parametrize("made_by", ["git-diff", "format-patch", "diff-ruN"])
def test_restart_recognises_an_applied_patch_and_does_not_apply_it_twice(tmp_path, patches, made_by):
    site = trees.venv(tmp_path / "venv")
    root = trees.patch_root(tmp_path / "mounts", {"nova-patches": {"0001-fix.patch": patches[made_by]}})
    assert trees.start(tmp_path / "venv", root, "true").returncode == 0
    again = trees.start(tmp_path / "venv", root, "/bin/echo", "started")
    assert again.returncode == 0, again.stderr
    assert again.stdout == "started\n"
    assert "0001-fix.patch: already applied" in again.stderr
    assert (site / "nova/compute/manager.py").read_text() == MANAGER_FIXED


def stacked(tmp_path):
    """Two patches, the second made on top of the first, and the three states of the file."""
    work = tmp_path / "work"
    work.mkdir()
    step1 = edit(MANAGER, "        return 7\n", "        return 7000\n")
    step2 = edit(step1, "        return 7000\n", "        return 7001\n")
    first = trees.git_diff(work / "a", trees.upstream(), {"nova/compute/manager.py": step1})
    second = trees.format_patch(work, {**trees.upstream(), "nova/compute/manager.py": step1},
                                {"nova/compute/manager.py": step2})
    return {"0001-first.patch": first, "0002-second.patch": second}, step1, step2


def test_restart_recognises_stacked_patches_as_applied(tmp_path):
    patches, _, step2 = stacked(tmp_path)
    site = trees.venv(tmp_path / "venv")
    root = trees.patch_root(tmp_path / "mounts", {"nova-patches": patches})
    assert trees.start(tmp_path / "venv", root, "true").returncode == 0
    assert (site / "nova/compute/manager.py").read_text() == step2
    again = trees.start(tmp_path / "venv", root, "/bin/echo", "up")
    assert again.returncode == 0, again.stderr
    assert again.stderr.count(": already applied") == 2 and again.stdout == "up\n"
    assert (site / "nova/compute/manager.py").read_text() == step2


def test_image_with_the_first_fix_built_in_gets_only_the_second(tmp_path):
    patches, step1, step2 = stacked(tmp_path)
    site = trees.venv(tmp_path / "venv", files={"nova/compute/manager.py": step1})
    root = trees.patch_root(tmp_path / "mounts", {"nova-patches": patches})
    result = trees.start(tmp_path / "venv", root, "true")
    assert result.returncode == 0, result.stderr
    assert "0001-first.patch: already applied" in result.stderr
    assert "0002-second.patch: applied" in result.stderr
    assert (site / "nova/compute/manager.py").read_text() == step2


def test_patch_whose_first_file_is_missing_is_skipped(tmp_path, patches):
    site = trees.venv(tmp_path / "venv", files={"nova/compute/manager.py": MANAGER})
    root = trees.patch_root(tmp_path / "mounts", {
        "neutron-patches": {"0001-l3.patch": patches["neutron"]},
        "nova-patches": {"0002-fix.patch": patches["git-diff"]}})
    result = trees.start(tmp_path / "venv", root, "/bin/echo", "up")
    assert result.returncode == 0, result.stderr
    assert "0001-l3.patch: skipped (first file neutron/agent/l3/agent.py not in" in result.stderr
    assert (site / "nova/compute/manager.py").read_text() == MANAGER_FIXED
    assert result.stdout == "up\n"


def test_conflict_fails_the_start_with_a_clear_line_and_runs_nothing(tmp_path, patches):
    site = trees.venv(tmp_path / "venv")
    changed = edit(MANAGER, "        return 7\n", "        return 700\n")
    (site / "nova/compute/manager.py").write_text(changed)
    root = trees.patch_root(tmp_path / "mounts", {"nova-patches": {"0001-fix.patch": patches["git-diff"]}})
    result = trees.start(tmp_path / "venv", root, "/bin/echo", "must-not-run")
    assert result.returncode != 0
    assert result.stdout == ""
    assert "error:" in result.stderr and "0001-fix.patch: conflict" in result.stderr
    assert "refusing to start" in result.stderr
    assert (site / "nova/compute/manager.py").read_text() == changed


def test_patches_apply_in_file_name_order_across_all_mounted_dirs(tmp_path):
    """The second patch only applies on top of the first, which sits in a later dir."""
    work = tmp_path / "work"
    work.mkdir()
    step1 = edit(MANAGER, "        return 7\n", "        return 7000\n")
    step2 = edit(step1, "        return 7000\n", "        return 7001\n")
    first = trees.git_diff(work / "a", trees.upstream(), {"nova/compute/manager.py": step1})
    second = trees.git_diff(work / "b", {**trees.upstream(), "nova/compute/manager.py": step1},
                            {"nova/compute/manager.py": step2})
    site = trees.venv(tmp_path / "venv")
    # 'a-patches' sorts before 'z-patches', but the file names decide.
    root = trees.patch_root(tmp_path / "mounts", {
        "a-patches": {"0002-second.patch": second},
        "z-patches": {"0001-first.patch": first}})
    result = trees.start(tmp_path / "venv", root, "true")
    assert result.returncode == 0, result.stderr
    assert (site / "nova/compute/manager.py").read_text() == step2
    assert result.stderr.index("0001-first.patch") < result.stderr.index("0002-second.patch")


@pytest.mark.parametrize("python", ["python3.9", "python3.12", "python3.13"])
def test_site_packages_is_found_whatever_the_python_version(tmp_path, patches, python):
    site = trees.venv(tmp_path / "venv", python=python)
    root = trees.patch_root(tmp_path / "mounts", {"nova-patches": {"0001-fix.patch": patches["git-diff"]}})
    result = trees.start(tmp_path / "venv", root, "true")
    assert result.returncode == 0, result.stderr
    assert (site / "nova/compute/manager.py").read_text() == MANAGER_FIXED
    assert f"applied to {site}" in result.stderr


def test_two_site_packages_dirs_fail_the_start(tmp_path, patches):
    trees.venv(tmp_path / "venv", python="python3.11")
    trees.venv(tmp_path / "venv", python="python3.12")
    root = trees.patch_root(tmp_path / "mounts", {"nova-patches": {"0001-fix.patch": patches["git-diff"]}})
    result = trees.start(tmp_path / "venv", root, "/bin/echo", "must-not-run")
    assert result.returncode != 0 and result.stdout == ""
    assert "several site-packages" in result.stderr and "OSH_SITE_PACKAGES" in result.stderr


def test_no_patches_mounted_execs_at_once(tmp_path):
    (tmp_path / "mounts").mkdir()
    result = trees.start(tmp_path / "no-venv", tmp_path / "mounts", "/bin/echo", "plain")
    assert result.returncode == 0 and result.stdout == "plain\n"
    assert result.stderr == ""


def test_other_files_in_patch_dirs_are_ignored(tmp_path, patches):
    site = trees.venv(tmp_path / "venv")
    root = trees.patch_root(tmp_path / "mounts", {
        "nova-patches": {"README": "not a patch", "0001-fix.patch": patches["git-diff"]},
        "nova-config": {"x.patch": "--- not mounted as patches"}})
    result = trees.start(tmp_path / "venv", root, "true")
    assert result.returncode == 0, result.stderr
    assert (site / "nova/compute/manager.py").read_text() == MANAGER_FIXED
    assert "1 patch(es) applied" in result.stderr


def test_script_is_posix_sh_for_dash():
    dash = shutil.which("dash")
    if dash is None:
        pytest.skip("dash not installed")
    result = subprocess.run([dash, "-n", str(trees.START_SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
