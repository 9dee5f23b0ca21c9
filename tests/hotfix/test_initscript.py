"""The init container's program run for real (GNU patch, a venv's own Python) on small venvs.

tests/hotfix/test_init_container.py runs it as the kubelet would, on nova
itself; here each rule of the program is checked on its own, in milliseconds.
"""
from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import os
import py_compile
import stat
import sys

import pytest
import unidiff

from postrender.hotfix import initscript, patchfile
from tests.conftest import ROOT
from tests.hotfix import trees
from tests.hotfix.trees import AGENT, MANAGER, edit

MANAGER_FIXED = edit(MANAGER, "        return 7\n", "        return 7  # fixed\n")
AGENT_FIXED = edit(AGENT, "    return router.id + 3\n", "    return router.id + 3  # fixed\n")


@pytest.fixture(scope="module")
def patches(tmp_path_factory):
    """One nova patch made each way, and a neutron patch."""
    work = tmp_path_factory.mktemp("work")
    original = trees.upstream()
    manager = {"nova/compute/manager.py": MANAGER_FIXED}
    return {
        "git-diff": trees.git_diff(work, original, manager),
        "format-patch": trees.format_patch(work, original, manager),
        "diff-ruN": trees.diff_ruN(work, original, manager),
        "neutron": trees.git_diff(work / "n", original, {"neutron/agent/l3/agent.py": AGENT_FIXED}),
    }


def start(tmp_path, dirs: dict[str, dict[str, str]], *entries: str, files=None, symlink=True):
    site = trees.kolla_venv(tmp_path / "venv", files=files, symlink=symlink)
    root = trees.patch_root(tmp_path / "mounts", dirs)
    result = trees.init(tmp_path / "venv", root, tmp_path / "out", *(entries or ("nova",)))
    return site, tmp_path / "out", result


@pytest.mark.parametrize("made_by", ["git-diff", "format-patch", "diff-ruN"])
def test_a_patch_applies_to_the_copy_and_never_to_site_packages(tmp_path, patches, made_by):
    site, out, result = start(tmp_path, {"nova-patches": {"0001-fix.patch": patches[made_by]}})
    assert result.returncode == 0, result.stderr
    assert (out / "nova/compute/manager.py").read_text() == MANAGER_FIXED
    assert (site / "nova/compute/manager.py").read_text() == MANAGER
    assert "0001-fix.patch: applied" in result.stderr
    assert not list(out.rglob("*.orig")) and not list(out.rglob("*.rej"))
    assert sorted(p.name for p in out.iterdir()) == ["nova"]  # no scratch left behind


def test_the_copy_is_the_whole_package(tmp_path, patches):
    _, out, result = start(tmp_path, {"nova-patches": {"0001-fix.patch": patches["git-diff"]}})
    assert result.returncode == 0, result.stderr
    assert (out / "nova/__init__.py").is_file()
    assert not (out / "neutron").exists()  # entries the patches do not touch stay in the image


def test_the_changed_module_gets_fresh_bytecode_for_the_read_only_mount(tmp_path, patches):
    site = trees.kolla_venv(tmp_path / "venv")
    source = site / "nova/compute/manager.py"
    stale = importlib.util.cache_from_source(str(source))
    py_compile.compile(str(source), cfile=stale)   # the image's bytecode
    stale_opt = importlib.util.cache_from_source(str(source), optimization=1)
    py_compile.compile(str(source), cfile=stale_opt, optimize=1)
    root = trees.patch_root(tmp_path / "mounts", {"nova-patches": {"0001-fix.patch": patches["git-diff"]}})
    result = trees.init(tmp_path / "venv", root, tmp_path / "out", "nova")
    assert result.returncode == 0, result.stderr
    copied = tmp_path / "out/nova/compute/manager.py"
    cached = importlib.util.cache_from_source(str(copied))
    data = open(cached, "rb").read()
    # A timestamp pyc: flags 0, then the source's mtime and size, then the code.
    assert int.from_bytes(data[8:12], "little") == int(copied.stat().st_mtime)
    assert int.from_bytes(data[12:16], "little") == copied.stat().st_size
    assert not os.path.exists(importlib.util.cache_from_source(str(copied), optimization=1))


def test_a_rerun_starts_from_a_fresh_copy(tmp_path, patches):
    site, out, first = start(tmp_path, {"nova-patches": {"0001-fix.patch": patches["git-diff"]}})
    assert first.returncode == 0, first.stderr
    (out / "leftover").write_text("from an earlier run")
    again = trees.init(tmp_path / "venv", tmp_path / "mounts", out, "nova")
    assert again.returncode == 0, again.stderr
    assert "0001-fix.patch: applied" in again.stderr   # applied to a fresh copy, once
    assert (out / "nova/compute/manager.py").read_text() == MANAGER_FIXED
    assert not (out / "leftover").exists()


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


def test_an_image_with_the_first_fix_built_in_gets_only_the_second(tmp_path):
    patches, step1, step2 = stacked(tmp_path)
    _, out, result = start(tmp_path, {"nova-patches": patches},
                           files={"nova/compute/manager.py": step1})
    assert result.returncode == 0, result.stderr
    assert "0001-first.patch: already applied" in result.stderr
    assert "0002-second.patch: applied" in result.stderr
    assert (out / "nova/compute/manager.py").read_text() == step2


def test_an_image_with_both_fixes_built_in_recognises_both(tmp_path):
    patches, _, step2 = stacked(tmp_path)
    _, out, result = start(tmp_path, {"nova-patches": patches},
                           files={"nova/compute/manager.py": step2})
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(": already applied") == 2
    assert (out / "nova/compute/manager.py").read_text() == step2


def test_a_patch_whose_first_file_is_missing_is_skipped(tmp_path, patches):
    _, out, result = start(tmp_path, {"neutron-patches": {"0001-l3.patch": patches["neutron"]},
                                      "nova-patches": {"0002-fix.patch": patches["git-diff"]}},
                           "neutron", "nova", files={"nova/compute/manager.py": MANAGER})
    assert result.returncode == 0, result.stderr
    assert "0001-l3.patch: skipped (first file neutron/agent/l3/agent.py not in" in result.stderr
    assert (out / "nova/compute/manager.py").read_text() == MANAGER_FIXED


def test_an_entry_missing_from_the_image_gets_a_placeholder_python_does_not_import(tmp_path):
    module = "--- a/jsonpatch.py\n+++ b/jsonpatch.py\n@@ -1 +1 @@\n-A = 1\n+A = 2\n"
    package = "--- a/neutron/x.py\n+++ b/neutron/x.py\n@@ -1 +1 @@\n-A = 1\n+A = 2\n"
    _, out, result = start(tmp_path, {"nova-patches": {"0001-m.patch": module, "0002-p.patch": package}},
                           "jsonpatch.py", "neutron", files={"nova/__init__.py": ""})
    assert result.returncode == 0, result.stderr
    assert "neutron: not in" in result.stderr and "jsonpatch.py: not in" in result.stderr
    # A suffix-less file for a package, a dir for a module: neither imports.
    assert stat.S_ISREG(os.stat(out / "neutron").st_mode) and (out / "neutron").stat().st_size == 0
    assert (out / "jsonpatch.py").is_dir() and not list((out / "jsonpatch.py").iterdir())
    finder = importlib.machinery.FileFinder(str(out), (importlib.machinery.SourceFileLoader, [".py"]))
    assert finder.find_spec("neutron") is None and finder.find_spec("jsonpatch") is None


def test_a_conflict_fails_with_a_line_naming_the_patch_and_the_file(tmp_path, patches):
    changed = edit(MANAGER, "        return 7\n", "        return 700\n")
    _, _, result = start(tmp_path, {"nova-patches": {"0001-fix.patch": patches["git-diff"]}},
                         files={"nova/compute/manager.py": changed})
    assert result.returncode == 1
    [line] = result.stderr.splitlines()[-1:]
    assert line.startswith(f"hotfix: error: {tmp_path}/mounts/nova-patches/0001-fix.patch: "
                           "conflict in nova/compute/manager.py: it does not apply to ")
    assert "Hunk #1 FAILED" in line and line.endswith("refusing to start")


def test_a_conflict_in_a_later_file_of_the_patch_names_that_file(tmp_path):
    two = ("--- a/nova/a.py\n+++ b/nova/a.py\n@@ -1 +1 @@\n-A = 1\n+A = 2\n"
           "--- a/nova/b.py\n+++ b/nova/b.py\n@@ -1 +1 @@\n-B = 1\n+B = 2\n")
    _, _, result = start(tmp_path, {"nova-patches": {"0001-two.patch": two}},
                         files={"nova/a.py": "A = 1\n", "nova/b.py": "B = 9\n"})
    assert result.returncode == 1
    assert "0001-two.patch: conflict in nova/b.py" in result.stderr


def test_patches_apply_in_file_name_order_across_all_mounted_dirs(tmp_path):
    """The second patch only applies on top of the first, which sits in a later dir."""
    work = tmp_path / "work"
    work.mkdir()
    step1 = edit(MANAGER, "        return 7\n", "        return 7000\n")
    step2 = edit(step1, "        return 7000\n", "        return 7001\n")
    first = trees.git_diff(work / "a", trees.upstream(), {"nova/compute/manager.py": step1})
    second = trees.git_diff(work / "b", {**trees.upstream(), "nova/compute/manager.py": step1},
                            {"nova/compute/manager.py": step2})
    # 'nova-2-patches' sorts before 'nova-patches', but the file names decide.
    _, out, result = start(tmp_path, {"nova-2-patches": {"0002-second.patch": second},
                                      "nova-patches": {"0001-first.patch": first}})
    assert result.returncode == 0, result.stderr
    assert (out / "nova/compute/manager.py").read_text() == step2
    assert result.stderr.index("0001-first.patch") < result.stderr.index("0002-second.patch")


def test_a_patch_outside_the_mounted_entries_fails_and_says_to_render_again(tmp_path, patches):
    _, _, result = start(tmp_path, {"nova-patches": {"0001-fix.patch": patches["git-diff"],
                                                     "0002-l3.patch": patches["neutron"]}}, "nova")
    assert result.returncode == 1
    assert "0002-l3.patch: it changes neutron/agent/l3/agent.py, but this pod mounts a " \
           "patched copy of nova only" in result.stderr


def test_site_packages_is_what_the_venvs_own_python_says_with_the_symlink_present(tmp_path, patches):
    site, _, result = start(tmp_path, {"nova-patches": {"0001-fix.patch": patches["git-diff"]}})
    assert (tmp_path / "venv/lib/python3").is_symlink()  # lib/python3 and lib/python3.X: two dirs
    assert result.returncode == 0, result.stderr
    assert f"from {site}" in result.stderr


def test_an_image_without_the_python3_symlink_refuses(tmp_path, patches):
    _, _, result = start(tmp_path, {"nova-patches": {"0001-fix.patch": patches["git-diff"]}},
                         symlink=False)
    assert result.returncode == 1
    assert "no " + str(tmp_path / "venv") + "/lib/python3 symlink" in result.stderr


def test_an_image_without_a_kolla_venv_has_nothing_to_patch(tmp_path, patches):
    root = trees.patch_root(tmp_path / "mounts", {"nova-patches": {"0001-fix.patch": patches["git-diff"]}})
    result = trees.init(tmp_path / "no-venv", root, tmp_path / "out", "nova")
    assert result.returncode == 0, result.stderr
    assert "no Kolla venv at" in result.stderr
    assert (tmp_path / "out" / "nova").is_file()  # the placeholder


def test_other_files_in_patch_dirs_are_ignored(tmp_path, patches):
    _, out, result = start(tmp_path, {
        "nova-patches": {"README": "not a patch", "0001-fix.patch": patches["git-diff"],
                         "hotfix-init.py": "# the program itself"},
        "nova-config": {"x.patch": "--- not mounted as patches"}})
    assert result.returncode == 0, result.stderr
    assert (out / "nova/compute/manager.py").read_text() == MANAGER_FIXED
    assert "1 applied, 0 already applied, 0 skipped" in result.stderr


def test_no_patches_leaves_unpatched_copies(tmp_path):
    _, out, result = start(tmp_path, {"nova-patches": {}})
    assert result.returncode == 0, result.stderr
    assert (out / "nova/compute/manager.py").read_text() == MANAGER
    assert "no patches under" in result.stderr


def test_the_program_is_python_3_9():
    """Kolla 2025.1's oldest image Python (Rocky Linux 9) must be able to run it."""
    ast.parse(trees.INIT_SCRIPT.read_text(), feature_version=(3, 9))
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(trees.INIT_SCRIPT.read_text()))
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in
                (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def shipped_and_test_patches() -> list:
    return sorted({*ROOT.glob("patches/*/*.patch"), *ROOT.glob("overlays/*/patches/*/*.patch"),
                   *ROOT.glob("tests/hotfix/**/*.patch")})


@pytest.mark.parametrize("path", shipped_and_test_patches(), ids=lambda p: p.name)
def test_the_programs_diff_reader_agrees_with_the_stages(path):
    """The stage decides what to copy and mount (unidiff), the program what to patch."""
    text = path.read_text()
    staged = patchfile.parse("c", path.name, text, str(path))
    program = initscript.Patch(path.name, str(path), text)
    assert program.first_target == staged.first_target
    assert program.files == list(staged.files)


def test_the_diff_reader_is_not_fooled_by_hunk_lines_that_look_like_headers():
    text = ("--- a/nova/a.py\n+++ b/nova/a.py\n@@ -1,3 +1,3 @@\n x = 1\n"
            "--- a/not/a/file.py\n"      # a removed line '-- a/not...'
            "+++ b/also/not.py\n"        # an added line '++ b/also...'
            " y = 2\n")
    assert [d.target for d in initscript.file_diffs(text)] == ["nova/a.py"]
    assert [p.path for p in unidiff.PatchSet(text)] == ["nova/a.py"]


def test_a_form_feed_in_a_hunk_is_a_character_not_a_line_break(tmp_path):
    """Python sources use ^L as a page break; GNU patch splits at newlines only."""
    tricky = ("--- a/nova/a.py\n+++ b/nova/a.py\n@@ -1,2 +1,2 @@\n \x0c\n"
              "--- a/x.py\n+++ b/y.py\n")  # a removed '-- a/x.py', an added '++ b/y.py'
    assert [d.target for d in initscript.file_diffs(tricky)] == ["nova/a.py"]
    assert patchfile.parse("nova", "x.patch", tricky, "x.patch").files == ("nova/a.py",)  # the stage's
    text = ("--- a/nova/a.py\n+++ b/nova/a.py\n@@ -1,2 +1,2 @@\n \x0c\n-A = 1\n+A = 2\n"
            "--- a/nova/b.py\n+++ b/nova/b.py\n@@ -1 +1 @@\n-B = 1\n+B = 2\n")
    _, out, result = start(tmp_path, {"nova-patches": {"0001-ff.patch": text}},
                           files={"nova/a.py": "\x0c\nA = 1\n", "nova/b.py": "B = 1\n"})
    assert result.returncode == 0, result.stderr
    assert (out / "nova/a.py").read_text() == "\x0c\nA = 2\n" and (out / "nova/b.py").read_text() == "B = 2\n"
