"""The OpenStack sources kolla-build installs: the PyPI sdist of each 2025.1
release in versions.KOLLA_SOURCES, downloaded once into the cache. A source
already downloaded for the same requirement is reused without asking PyPI.
"""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from osh_live import kollaenv, paths, versions
from osh_live.proc import LiveError, run


def _download(section: str, requirement: str, root: Path) -> Path:
    where = root / section
    stamp = where / ".requirement"
    files = [f for f in where.glob("*") if f.name != stamp.name] if where.is_dir() else []
    if stamp.exists() and stamp.read_text() == requirement and len(files) == 1:
        return files[0]
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    # --no-binary: Kolla installs from a source tree, as from its tarballs.
    run([*kollaenv.pip(), "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "--dest", where, requirement])
    files = list(where.glob("*"))
    if len(files) != 1:
        raise LiveError(f"pip download {requirement} gave {[f.name for f in files]}")
    stamp.write_text(requirement)
    return files[0]


def download(sources: dict[str, str] | None = None) -> dict[str, Path]:
    """{kolla source section: sdist path} for every source, downloading what is missing."""
    sources = versions.KOLLA_SOURCES if sources is None else sources
    root = paths.cache("kolla", "sources")
    # pip spends most of its time waiting on PyPI: a few at a time.
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = pool.map(lambda item: _download(*item, root), sources.items())
        return dict(zip(sources, found))
