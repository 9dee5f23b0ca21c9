"""`osh-postrender patches verify`, and its agreement with the init container's program."""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import unidiff

from postrender.hotfix import verify
from tests.conftest import ROOT, postrender
from tests.hotfix import trees
from tests.hotfix.trees import AGENT, MANAGER, edit

STEP1 = edit(MANAGER, "        return 7\n", "        return 7000\n")
STEP2 = edit(STEP1, "        return 7000\n", "        return 7001\n")
OTHER = edit(MANAGER, "        return 20\n", "        return 2000\n")
AGENT_FIXED = edit(AGENT, "    return router.id + 3\n", "    return router.id + 3  # fixed\n")


@pytest.fixture
def made(tmp_path):
    """Patches made by git diff, format-patch and diff -ruN."""
    work = tmp_path / "work"
    work.mkdir()
    up = trees.upstream()
    return {
        "0001-step1.patch": trees.git_diff(work / "1", up, {"nova/compute/manager.py": STEP1}),
        "0002-step2.patch": trees.format_patch(work, {**up, "nova/compute/manager.py": STEP1},
                                              {"nova/compute/manager.py": STEP2}),
        "0003-other.patch": trees.diff_ruN(work, up, {"nova/compute/manager.py": OTHER}),
        "0004-l3.patch": trees.git_diff(work / "4", up, {"neutron/agent/l3/agent.py": AGENT_FIXED}),
    }


def project(tmp_path, components: dict[str, dict[str, str]]) -> Path:
    root = tmp_path / "project"
    for component, files in components.items():
        trees.write(root / "overlays" / "r" / "patches" / component, files)
    (root / "overlays" / "r" / "hotfix.yaml").write_text("patchDirs: [patches]\n")
    return root


def run_verify(root: Path, site: Path, *extra: str):
    result = postrender(b"", "--root", str(root), "patches", "verify", "--region", "r",
                        "--site-packages", str(site), *extra)
    outcomes = {}
    for line in result.stdout.decode().splitlines()[:-1]:
        path, _, rest = line.partition(": ")
        outcomes[Path(path).name] = rest.split(":")[0]
    return result, outcomes


def run_init(work: Path, files: dict[str, str], components: dict[str, dict[str, str]]):
    """The init container's program on a real venv holding `files`."""
    trees.kolla_venv(work / "kolla-venv", files=files)
    mounts = trees.patch_root(work / "mounts",
                              {f"{c}-patches": files for c, files in components.items()})
    result = trees.init(work / "kolla-venv", mounts, work / "out", "nova", "neutron")
    outcomes = {}
    for line in result.stderr.splitlines():
        match = re.match(r"hotfix: (?:error: )?\S+/([^/ ]+\.patch): (applied|already applied|"
                         r"skipped|conflict)", line)
        if match:
            outcomes[match.group(1)] = match.group(2)
    return result, outcomes


SCRIPT_WORD = {"applies": "applied", "already applied": "already applied",
               "skipped (first file missing)": "skipped", "conflict": "conflict"}


def tree_digest(site: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(site.rglob("*")):
        digest.update(str(path.relative_to(site)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_verify_says_applies_when_patches_build_on_each_other(tmp_path, made):
    root = project(tmp_path, {"nova": {k: made[k] for k in ("0001-step1.patch", "0002-step2.patch",
                                                             "0003-other.patch")}})
    site = trees.venv(tmp_path / "venv")
    result, outcomes = run_verify(root, site)
    assert result.returncode == 0, result.stderr
    assert outcomes == {"0001-step1.patch": "applies", "0002-step2.patch": "applies",
                        "0003-other.patch": "applies"}
    assert result.stdout.decode().splitlines()[-1].startswith("3 patch(es), 0 conflict(s)")


def test_verify_reports_applied_skipped_and_conflict_and_exits_non_zero(tmp_path, made):
    root = project(tmp_path, {"nova": {k: made[k] for k in ("0001-step1.patch", "0003-other.patch",
                                                             "0004-l3.patch")}})
    site = trees.venv(tmp_path / "venv", files={"nova/compute/manager.py": edit(
        STEP1, "        return 20\n", "        return 21\n")})
    result, outcomes = run_verify(root, site)
    assert outcomes == {"0001-step1.patch": "already applied", "0003-other.patch": "conflict",
                        "0004-l3.patch": "skipped (first file missing)"}
    assert result.returncode == 5
    assert "Hunk #1 FAILED" in result.stdout.decode()
    assert "0004-l3.patch: skipped (first file missing): neutron/agent/l3/agent.py" in result.stdout.decode()


def test_verify_never_writes_the_site_packages_tree(tmp_path, made):
    root = project(tmp_path, {"nova": made})
    site = trees.venv(tmp_path / "venv")
    before = tree_digest(site)
    run_verify(root, site)
    assert tree_digest(site) == before


def test_verify_takes_a_kolla_venv_and_finds_its_site_packages_past_the_python3_symlink(tmp_path, made):
    root = project(tmp_path, {"nova": {"0001-step1.patch": made["0001-step1.patch"]}})
    site = trees.venv(tmp_path / "venv", python="python3.13")
    assert (tmp_path / "venv/lib/python3").is_symlink()  # lib/python3* globs two dirs
    result, outcomes = run_verify(root, tmp_path / "venv")
    assert result.returncode == 0, result.stderr
    assert outcomes == {"0001-step1.patch": "applies"}
    assert result.stdout.decode().splitlines()[-1].endswith(f"against {site}")


def test_verify_takes_an_image_root_file_system(tmp_path, made):
    root = project(tmp_path, {"nova": {"0001-step1.patch": made["0001-step1.patch"]}})
    site = trees.venv(tmp_path / "rootfs/var/lib/kolla/venv", python="python3.12")
    result, outcomes = run_verify(root, tmp_path / "rootfs")
    assert outcomes == {"0001-step1.patch": "applies"}
    assert result.stdout.decode().splitlines()[-1].endswith(f"against {site}")


def test_verify_still_takes_site_packages_itself(tmp_path, made):
    root = project(tmp_path, {"nova": {"0001-step1.patch": made["0001-step1.patch"]}})
    site = trees.venv(tmp_path / "venv", python="python3.12")
    result, outcomes = run_verify(root, site)
    assert outcomes == {"0001-step1.patch": "applies"}
    assert result.stdout.decode().splitlines()[-1].endswith(f"against {site}")


def test_verify_finds_site_packages_as_the_venvs_own_python_does(tmp_path):
    """pyvenv.cfg read on the host gives what sysconfig says inside the venv."""
    trees.kolla_venv(tmp_path / "venv")
    inside = subprocess.run([str(tmp_path / "venv/bin/python3"), "-c",
                             "import sysconfig; print(sysconfig.get_path('purelib'))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert verify.site_packages(tmp_path / "venv") == Path(inside)


def test_an_image_root_whose_kolla_venv_has_no_pyvenv_cfg_is_an_error(tmp_path, made):
    root = project(tmp_path, {"nova": {"0001-step1.patch": made["0001-step1.patch"]}})
    (tmp_path / "rootfs/var/lib/kolla/venv/lib").mkdir(parents=True)
    result, _ = run_verify(root, tmp_path / "rootfs")
    assert result.returncode == 4 and result.stdout == b""
    assert b"venv has no pyvenv.cfg: give its site-packages dir instead" in result.stderr


def test_verify_component_filter(tmp_path, made):
    root = project(tmp_path, {"nova": {"0001-step1.patch": made["0001-step1.patch"]},
                              "neutron": {"0004-l3.patch": made["0004-l3.patch"]}})
    site = trees.venv(tmp_path / "venv")
    _, outcomes = run_verify(root, site, "--component", "neutron")
    assert outcomes == {"0004-l3.patch": "applies"}
    result, _ = run_verify(root, site, "--component", "glance")
    assert result.returncode == 4 and result.stdout == b""
    assert b"no patches for component 'glance' (components with patches: neutron, nova)" in result.stderr


def test_verify_without_a_region_is_a_usage_error(tmp_path):
    result = postrender(b"", "--root", str(tmp_path), "patches", "verify",
                        "--site-packages", str(tmp_path))
    assert result.returncode == 2 and result.stdout == b""
    assert b"name the region" in result.stderr


SCENARIOS = {
    "fresh": (("0001-step1.patch", "0002-step2.patch", "0003-other.patch", "0004-l3.patch"), None),
    "restart": (("0001-step1.patch", "0002-step2.patch"), STEP2),
    "new-image-conflict": (("0001-step1.patch", "0003-other.patch"),
                           edit(MANAGER, "        return 20\n", "        return 22\n")),
    "no-neutron": (("0004-l3.patch", "0001-step1.patch"), MANAGER),
    "first-fix-built-in": (("0001-step1.patch", "0002-step2.patch", "0003-other.patch"), STEP1),
    "all-built-in": (("0001-step1.patch", "0002-step2.patch", "0003-other.patch"),
                     edit(STEP2, "        return 20\n", "        return 2000\n")),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_verify_agrees_with_the_init_container_on_the_same_tree(tmp_path, made, scenario):
    names, manager = SCENARIOS[scenario]
    components = {"nova": {n: made[n] for n in names}}
    root = project(tmp_path, components)
    files = trees.upstream() if manager is None else {"nova/compute/manager.py": manager}
    site = trees.venv(tmp_path / "venv", files=files)
    verify_result, said = run_verify(root, site)
    init_result, did = run_init(tmp_path, files, components)
    expected = [SCRIPT_WORD[said[n]] for n in sorted(names)]
    # The init container stops at the first conflict; up to there both must say the same.
    stop = expected.index("conflict") + 1 if "conflict" in expected else len(expected)
    assert [did.get(n) for n in sorted(names)][:stop] == expected[:stop]
    assert (verify_result.returncode == 5) == (init_result.returncode != 0)


def pre_image(patch_text: str) -> dict[str, str]:
    """Files holding exactly what each hunk expects, at the hunk's line numbers."""
    files: dict[str, list[str]] = {}
    for patched in unidiff.PatchSet(patch_text):
        lines = files.setdefault(patched.target_file.split("/", 1)[1], [])
        for hunk in patched:
            lines += ["\n"] * (hunk.source_start - 1 - len(lines))
            lines += [line.value for line in hunk if line.is_context or line.is_removed]
    return {path: "".join(lines) for path, lines in files.items()}


def test_shipped_example_patches_apply_to_their_upstream_context(tmp_path):
    """The project's and the example region's patches, against trees made from their context."""
    project_root = tmp_path / "project"
    shutil.copytree(ROOT / "patches", project_root / "patches")
    shutil.copytree(ROOT / "overlays" / "europe-example-region",
                    project_root / "overlays" / "europe-example-region",
                    ignore=shutil.ignore_patterns("kustomization.yaml", "placement.yaml"))
    texts = [p.read_text() for p in sorted(project_root.rglob("*.patch"))]
    assert len(texts) >= 3
    files: dict[str, str] = {}
    for text in texts:
        files.update(pre_image(text))
    assert "nova/compute/manager.py" in files and "neutron/agent/l3/agent.py" in files
    site = trees.venv(tmp_path / "venv", files=files)
    result = postrender(b"", "--root", str(project_root), "--region", "europe-example-region",
                        "patches", "verify", "--site-packages", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.decode().splitlines()[:-1]
    assert len(lines) == len(texts) and all(line.endswith(": applies") for line in lines)
    # The init container applies the nova ones to nova itself in test_init_container.py;
    # these trees are hunk context only, which does not compile.
