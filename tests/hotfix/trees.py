"""Builds what the hot-fix tests work on: real patches and fake site-packages trees.

Patches are made the three ways operators make them (git diff, git
format-patch, diff -ruN) from small Python sources written here.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT

START_SCRIPT = ROOT / "charts" / "openstack" / "files" / "osh-start.sh"

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
    """A fake Kolla venv; returns its site-packages."""
    site = root / "lib" / python / "site-packages"
    site.mkdir(parents=True)
    write(site, upstream() if files is None else files)
    return site


def patch_root(root: Path, dirs: dict[str, dict[str, str]]) -> Path:
    """Mounted ConfigMaps as the script sees them: <root>/<name>-patches/<key>."""
    for directory, files in dirs.items():
        write(root / directory, files)
    return root


def start(venv_dir: Path, patches_root: Path, *command: str,
          env: dict | None = None) -> subprocess.CompletedProcess:
    """Run osh-start.sh for real with /bin/sh and GNU patch."""
    return subprocess.run(["/bin/sh", str(START_SCRIPT), *command], capture_output=True,
                          text=True, timeout=60,
                          env={"PATH": os.environ["PATH"], "OSH_KOLLA_VENV": str(venv_dir),
                               "OSH_PATCHES_ROOT": str(patches_root), **(env or {})})
