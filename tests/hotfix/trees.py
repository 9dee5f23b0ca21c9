"""Builds what the hot-fix tests work on: real patches and small Kolla-layout venvs.

Patches are made the three ways operators make them (git diff, git
format-patch, diff -ruN) from small Python sources written here. A venv has
Kolla 2025.1's layout: pyvenv.cfg and the `lib/python3 -> python3.X` symlink.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import ROOT

INIT_SCRIPT = ROOT / "postrender" / "hotfix" / "initscript.py"

MANAGER = "".join(f"    def task_{i}(self):\n        return {i}\n\n" for i in range(40))
MANAGER = "class ComputeManager:\n" + MANAGER
AGENT = "".join(f"def handler_{i}(router):\n    return router.id + {i}\n\n\n" for i in range(30))

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Region operators", "GIT_AUTHOR_EMAIL": "ops@example.org",
    "GIT_COMMITTER_NAME": "Region operators", "GIT_COMMITTER_EMAIL": "ops@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull,
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def upstream() -> dict[str, str]:
    """The released package files the fake site-packages starts with."""
    return {"nova/__init__.py": "", "nova/compute/manager.py": MANAGER,
            "neutron/__init__.py": "", "neutron/agent/l3/agent.py": AGENT}


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def git_diff(work: Path, original: dict[str, str], changed: dict[str, str]) -> str:
    """`git diff` between two commits of a repo holding the package."""
    repo = work / "git-diff-repo"
    write(repo, original)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "as released")
    write(repo, changed)
    git(repo, "commit", "-qam", "hot-fix")
    return git(repo, "diff", "HEAD~1", "HEAD")


def format_patch(work: Path, original: dict[str, str], changed: dict[str, str],
                 subject: str = "compute: a hot-fix") -> str:
    """`git format-patch` output: mail headers, diffstat, diff and signature."""
    repo = work / f"format-patch-repo-{len(list(work.glob('format-patch-repo-*')))}"
    write(repo, original)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "as released")
    write(repo, changed)
    git(repo, "commit", "-qam", f"{subject}\n\nWhy the hot-fix is needed.")
    out = work / "format-patch-out"
    git(repo, "format-patch", "-q", "-o", str(out), "HEAD~1..HEAD")
    text = sorted(out.glob("*.patch"))[0].read_text()
    shutil.rmtree(out)
    return text


def diff_ruN(work: Path, original: dict[str, str], changed: dict[str, str]) -> str:
    """`diff -ruN original.dir patched.dir`, timestamps and all."""
    base = work / "diff-ruN"
    write(base / "original.dir", original)
    write(base / "patched.dir", {**original, **changed})
    result = subprocess.run(["diff", "-ruN", "original.dir", "patched.dir"], cwd=base,
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    shutil.rmtree(base)
    return result.stdout


def venv(root: Path, python: str = "python3.12", files: dict[str, str] | None = None) -> Path:
    """A venv tree as copied out of an image (no Python runs it); returns its site-packages."""
    site = root / "lib" / python / "site-packages"
    site.mkdir(parents=True)
    (root / "lib" / "python3").symlink_to(python)
    (root / "pyvenv.cfg").write_text(f"home = /usr/bin\ninclude-system-site-packages = false\n"
                                     f"version = {python[6:]}.1\n")
    write(site, upstream() if files is None else files)
    return site


_EMPTY_VENVS: list[Path] = []


def kolla_venv(root: Path, files: dict[str, str] | None = None, symlink: bool = True) -> Path:
    """A real venv of this Python, with Kolla's symlink; returns its site-packages."""
    if not _EMPTY_VENVS:  # made once: copying it is ten times faster than `python -m venv`
        scratch = tempfile.mkdtemp(prefix="osh-empty-venv-")
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        template = Path(scratch) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(template)], check=True)
        _EMPTY_VENVS.append(template)
    shutil.copytree(_EMPTY_VENVS[0], root, symlinks=True)
    short = "python%d.%d" % sys.version_info[:2]
    if symlink:
        (root / "lib" / "python3").symlink_to(short)
    site = root / "lib" / short / "site-packages"
    write(site, upstream() if files is None else files)
    return site


def patch_root(root: Path, dirs: dict[str, dict[str, str]]) -> Path:
    """Mounted ConfigMaps as the init container sees them: <root>/<name>-patches/<key>."""
    for directory, files in dirs.items():
        write(root / directory, files)
    return root


def init(venv_dir: Path, patches_root: Path, output: Path, *entries: str) -> subprocess.CompletedProcess:
    """Run the init container's program for real (GNU patch, the venv's own Python)."""
    output.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, str(INIT_SCRIPT), "--venv", str(venv_dir),
                           "--patches", f"{patches_root}/*-patches", "--output", str(output),
                           *entries], capture_output=True, text=True, timeout=120,
                          env={"PATH": os.environ["PATH"]})
