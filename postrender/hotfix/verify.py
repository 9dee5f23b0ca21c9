"""Dry run of the init container's patching against an image's site-packages.

The judging is the init container's own code (`initscript.judge`): already
applied patches are found by peeling them off a scratch copy, the rest are
applied in order to a second scratch copy of the files they name, so a patch
that builds on an earlier one is judged correctly. site-packages is found as
the init container finds it. The tree given is never written.
"""
from __future__ import annotations

import enum
import tempfile
from dataclasses import dataclass
from pathlib import Path

from postrender.errors import ConfigError
from postrender.hotfix import initscript
from postrender.hotfix.patchfile import PatchFile


class Outcome(enum.Enum):
    APPLIES = "applies"
    ALREADY_APPLIED = "already applied"
    SKIPPED = "skipped (first file missing)"
    CONFLICT = "conflict"


_OUTCOMES = {initscript.APPLIED: Outcome.APPLIES, initscript.ALREADY_APPLIED: Outcome.ALREADY_APPLIED,
             initscript.SKIPPED: Outcome.SKIPPED, initscript.CONFLICT: Outcome.CONFLICT}


@dataclass(frozen=True)
class Result:
    patch: PatchFile
    outcome: Outcome
    detail: str = ""


def site_packages(path: Path) -> Path:
    """site-packages of what `path` is: a venv (it has pyvenv.cfg), an image's root
    file system (it has the Kolla venv), or else site-packages itself.

    A venv's site-packages is the purelib path of its own Python's sysconfig,
    read from its pyvenv.cfg: the init container asks that Python itself.
    Globbing lib/python3*/site-packages instead finds two dirs in a Kolla
    2025.1 venv, whose lib/python3 is a symlink to lib/python3.X.
    """
    kolla = path / initscript.KOLLA_VENV.lstrip("/")
    for venv in (path, kolla):
        if (venv / "pyvenv.cfg").is_file():
            try:
                site = Path(initscript.venv_purelib(str(venv)))
            except initscript.Failure as err:
                raise ConfigError(str(err)) from None
            if not site.is_dir():
                raise ConfigError(f"{venv}: the site-packages its pyvenv.cfg gives, {site}, "
                                  "is not a directory")
            return site
    if kolla.is_dir():
        raise ConfigError(f"{kolla} has no pyvenv.cfg: give its site-packages dir instead")
    return path


def order(patches: list[PatchFile]) -> list[PatchFile]:
    """The init container's order: file name, then path (bytes)."""
    return sorted(patches, key=lambda p: (p.name.encode(), p.path.encode()))


def verify(site: Path, patches: list[PatchFile]) -> list[Result]:
    """One component's patches, judged in apply order against `site`."""
    ordered = order(patches)
    programs = [initscript.Patch(p.name, p.path, p.text) for p in ordered]
    with tempfile.TemporaryDirectory(prefix="osh-verify-") as scratch:
        tree = Path(scratch, "tree")
        tree.mkdir()
        initscript.copy_named_files(str(site), programs, str(tree))
        judged = initscript.judge(str(tree), programs, str(Path(scratch, "work")), keep_going=True)
    results = []
    for patch, result in zip(ordered, judged):
        detail = result.file if result.outcome == initscript.SKIPPED else \
            (f"{result.file}: {result.detail}" if result.outcome == initscript.CONFLICT else "")
        results.append(Result(patch, _OUTCOMES[result.outcome], detail))
    return results
