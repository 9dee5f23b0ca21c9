"""The venv kolla-build runs from, in the cache and apart from the project's
.venv: Kolla 20.x pins libraries of its own, and the project must not carry
them. Rebuilt only when one of the pinned versions changes.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from osh_live import paths, versions
from osh_live.proc import run

REQUIREMENTS = [f"pip=={versions.PIP}", f"kolla=={versions.KOLLA}",
                f"podman=={versions.PODMAN_CLIENT}"]


def venv() -> Path:
    path = paths.cache("kolla") / f"venv-{versions.KOLLA}"
    stamp = path / ".osh-live-installed"
    if stamp.exists() and stamp.read_text() == "\n".join(REQUIREMENTS):
        return path
    shutil.rmtree(path, ignore_errors=True)
    run([sys.executable, "-m", "venv", path])
    run([path / "bin" / "python", "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", *REQUIREMENTS])
    stamp.write_text("\n".join(REQUIREMENTS))
    return path


def kolla_build() -> Path:
    return venv() / "bin" / "kolla-build"


def pip() -> list[str]:
    return [str(venv() / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]


def docker_tree() -> Path:
    """Kolla's docker/ tree (Dockerfile templates, start.sh, set_configs.py)."""
    return venv() / "share" / "kolla" / "docker"
