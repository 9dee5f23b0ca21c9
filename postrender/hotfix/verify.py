"""Dry run of the start-up script's patching against an image's site-packages.

Each component's patches are judged as the script judges them: already
applied ones are found by peeling patches off a scratch copy, last first; the
rest are applied in order, with the script's GNU patch options, to a second
scratch copy, so a patch that builds on an earlier one is judged correctly.
The site-packages tree itself is never written.
"""
from __future__ import annotations

import enum
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from postrender.hotfix.patchfile import PatchFile

# Must equal `opts` in charts/openstack/files/osh-start.sh (a test holds them together).
PATCH_OPTIONS = ("-p1", "--force", "--fuzz=0", "--silent")


class Outcome(enum.Enum):
    APPLIES = "applies"
    ALREADY_APPLIED = "already applied"
    SKIPPED = "skipped (first file missing)"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Result:
    patch: PatchFile
    outcome: Outcome
    detail: str = ""


def site_packages(path: Path) -> Path:
    """DIR itself, or the one lib/python3*/site-packages below DIR when DIR is a venv."""
    found = sorted(path.glob("lib/python3*/site-packages"))
    return found[0] if len(found) == 1 and not (path / "__init__.py").exists() else path


def order(patches: list[PatchFile]) -> list[PatchFile]:
    """The start-up script's order: file name, then path (C collation)."""
    return sorted(patches, key=lambda p: (p.name.encode(), p.path.encode()))


def verify(site: Path, patches: list[PatchFile]) -> list[Result]:
    """One component's patches, judged in apply order against `site`."""
    ordered = order(patches)
    with tempfile.TemporaryDirectory(prefix="osh-verify-") as scratch:
        peel, tree = Path(scratch, "peel"), Path(scratch, "tree")
        for copy in (peel, tree):
            for patch in ordered:
                for relative in patch.files:
                    source = site / relative
                    if source.is_file() and not (copy / relative).exists():
                        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(source, copy / relative)
        already = _already_applied(peel, ordered)
        return [_judge(tree, patch, patch in already) for patch in ordered]


def _already_applied(peel: Path, ordered: list[PatchFile]) -> list[PatchFile]:
    """The script's check: reverse the patches off a scratch copy, last first.

    A patch stacked on an earlier one hides it from a plain reverse check;
    peeling the later one first uncovers it.
    """
    found = []
    for patch in reversed(ordered):
        if not (peel / patch.first_target).is_file():
            continue
        if _patch(peel, patch, "--reverse", "--dry-run").returncode == 0 and _patch(
                peel, patch, "--reverse", "--no-backup-if-mismatch",
                "--reject-file=-").returncode == 0:
            found.append(patch)
    return found


def _patch(directory: Path, patch: PatchFile, *options: str,
           quiet: bool = True) -> subprocess.CompletedProcess:
    base = PATCH_OPTIONS if quiet else tuple(o for o in PATCH_OPTIONS if o != "--silent")
    return subprocess.run(["patch", *base, "-d", str(directory), *options],
                          input=patch.text.encode(), capture_output=True, timeout=60)


def _judge(tree: Path, patch: PatchFile, already: bool) -> Result:
    if not (tree / patch.first_target).is_file():
        return Result(patch, Outcome.SKIPPED, patch.first_target)
    if already:
        return Result(patch, Outcome.ALREADY_APPLIED)
    forward = _patch(tree, patch, "--forward", "--dry-run", quiet=False)
    if forward.returncode != 0:
        return Result(patch, Outcome.CONFLICT, _output(forward))
    # Applied to the scratch tree so that later patches see its result.
    applied = _patch(tree, patch, "--forward", "--no-backup-if-mismatch", "--reject-file=-",
                     quiet=False)
    if applied.returncode != 0:
        return Result(patch, Outcome.CONFLICT, _output(applied))
    return Result(patch, Outcome.APPLIES)


def _output(process: subprocess.CompletedProcess) -> str:
    text = (process.stdout + process.stderr).decode("utf-8", "replace").strip()
    return " ".join(text.split())
