"""One Kolla image as kolla-build makes it: its layers' facts put together
(USER, groups, PATH, the files in it), and where a command in it comes from.

An executable is in the image if a layer COPYs it, makes it (a venv's
python, a symlink), pip installs it (the console scripts of the release
kolla-build installs, from PyPI), or a Debian package it installs holds it
(the package, the packages it depends on that come from the same source, and
the distribution's required packages, from the .debs). The packages are
looked into lazily, most likely first, so a command found costs a download
or two; one not found costs every package of the image once (then cached).
"""
from __future__ import annotations

import difflib
import functools
import posixpath
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT
from tests.kolla_conformance import dockerfile, packages

sys.path.insert(0, str(ROOT / "tools"))
from osh_live import versions  # noqa: E402 - one place for the 2025.1 releases

VENV_BIN = ("python", "python3", "pip", "pip3")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return canonical(re.split(r"[\[<>=!~;]", requirement, maxsplit=1)[0])


@dataclass(frozen=True)
class Where:
    """Where an executable of an image comes from, for messages."""

    path: str
    origin: str


class KollaImage:
    def __init__(self, name: str):
        self.name = name
        self.layers = dockerfile.chain(name)

    # --- users ---------------------------------------------------------------

    @property
    def user(self) -> str:
        """The final USER (root where no layer sets one)."""
        return next((l.user for l in reversed(self.layers) if l.user), "root")

    def groups(self, user: str) -> list[str]:
        """`user`'s own group and those the layers add (usermod --append --groups)."""
        users = dockerfile.kolla_users()
        own = users[user]["group"] if user in users else user
        return [own] + [g for l in self.layers for g in l.groups.get(user, [])]

    def chowned(self) -> dict[str, tuple[int, int]]:
        """Dirs a layer chowns (-R): a user's home from Kolla's configure_user."""
        return {p: ids for l in self.layers for p, ids in l.chowned.items()}

    # --- files ---------------------------------------------------------------

    @functools.cached_property
    def path(self) -> list[str]:
        return dockerfile.environ_path(self.layers)

    @functools.cached_property
    def files(self) -> dict[str, Where]:
        """Every path a layer puts in place itself: COPY/ADD, venvs, links."""
        out: dict[str, Where] = {}
        for l in self.layers:
            for target, source in l.files.items():
                out[packages.merged_usr(target)] = Where(target, f"COPY {source} in {l.image}")
            for venv in l.venvs:
                for name in VENV_BIN:
                    out[f"{venv}/bin/{name}"] = Where(f"{venv}/bin/{name}", f"python3 -m venv in {l.image}")
            for link in l.links:
                out[packages.merged_usr(link)] = Where(link, f"ln -s in {l.image}")
        return out

    def file_source(self, path: str) -> Path | None:
        """The tree file a layer COPYs to `path` (the last layer wins)."""
        for l in reversed(self.layers):
            if path in l.files:
                return dockerfile.tree_file(l.image, l.files[path])
        return None

    def _pip_bin(self, upto: int) -> str:
        """Where layer `upto`'s pip puts scripts: the venv first on its PATH."""
        venvs = {v for l in self.layers[:upto + 1] for v in l.venvs}
        for directory in dockerfile.environ_path(self.layers[:upto + 1]):
            if directory.endswith("/bin") and directory[:-4] in venvs:
                return directory
        return "/usr/local/bin"

    def _python_releases(self, command: str) -> list[tuple[int, str, str]]:
        """(layer, requirement, why) to look in for `command`, likeliest
        first: the service's own source trees, then a pip requirement of the
        command's own name (uwsgi). kolla-build installs a source section's
        tarball of the stable branch; PyPI's release of that series (the
        live cluster's pins, tools/osh_live/versions.py) has its scripts."""
        from kolla.common.sources import SOURCES
        out = []
        for index, l in enumerate(self.layers):
            for tree in l.pip_trees:
                if l.plugins and tree == f"{l.plugins}/*":
                    # The plugins the region's builds enable: tools/live's
                    # kolla-build.conf switches off every plugin section that
                    # KOLLA_SOURCES does not pin (neutron-base's
                    # networking-baremetal, for ironic-neutron-agent).
                    out += [(index, requirement, f"kolla source {section} (plugins-archive)")
                            for section, requirement in versions.KOLLA_SOURCES.items()
                            if section.startswith(f"{l.image}-plugin-")]
                    continue
                section = l.archives.get(tree.split("[")[0])
                if section is None:
                    continue
                requirement = versions.KOLLA_SOURCES.get(section)
                assert requirement, (f"{self.name}: kolla source {section} "
                                     f"({SOURCES[section]['location']}) has no 2025.1 release "
                                     "in tools/osh_live/versions.py KOLLA_SOURCES")
                out.append((index, requirement, f"kolla source {section}"))
        for index, l in enumerate(self.layers):
            for requirement in l.pip:
                if _requirement_name(requirement) == canonical(command):
                    out.append((index, PIP_PINS.get(canonical(command), requirement),
                                f"pip install {requirement} in {l.image}"))
        return out

    def _debian_candidates(self) -> list[tuple[str, str]]:
        """(package, why): the image's own packages (its own layer first),
        the same-source packages they depend on, then the required ones."""
        out, seen = [], set()

        def add(package, why):
            if package not in seen:
                seen.add(package)
                out.append((package, why))

        for l in reversed(self.layers):
            for package in l.apt:
                add(package, f"apt-get install {package} in {l.image}")
        for package, why in list(out):
            stack = [package]
            while stack:
                for dep in packages.deb_depends(stack.pop()):
                    if dep not in seen and packages.deb_source(dep) == packages.deb_source(package):
                        add(dep, f"a dependency of {package} from its source")
                        stack.append(dep)
        for package in packages.required_debs():
            add(package, "of the minimal base image: priority required")
        return out

    @functools.cache
    def find(self, command: str) -> Where | None:
        """Where `command` (a name looked up on PATH, or an absolute path)
        comes from, or None. Cached on disk by Kolla's version, the image and
        apt's package lists."""
        key = f"{dockerfile.KOLLA_VERSION}-{self.name}-{command}-{packages.index_key()}"
        found = packages.cached("where", key, lambda: self._find(command))
        return Where(**found) if found else None

    def _find(self, command: str) -> dict | None:
        name = posixpath.basename(command)
        wanted = ([packages.merged_usr(command)] if command.startswith("/") else
                  [packages.merged_usr(f"{d}/{command}") for d in self.path])
        for path in wanted:
            if path in self.files:
                return vars(self.files[path])
        for index, requirement, why in self._python_releases(name):
            directory = self._pip_bin(index)
            if f"{directory}/{name}" in wanted and name in packages.python_scripts(requirement):
                return {"path": f"{directory}/{name}",
                        "origin": f"console script of {requirement} ({why})"}
        candidates = [c for c in self._debian_candidates() if packages.deb_fields(c[0])]
        # Likeliest first (a cheap guess by name), fetched in growing batches
        # (each apt-get run costs seconds); the .deb's file list decides.
        candidates.sort(key=lambda c: -difflib.SequenceMatcher(
            None, name, packages.deb_source(c[0])).find_longest_match().size)
        start, size = 0, 4
        while start < len(candidates):
            batch = candidates[start:start + size]
            packages.fetch_debs([package for package, _why in batch])
            for package, why in batch:
                for path in wanted:
                    if path in packages.deb_files(package):
                        return {"path": path, "origin": f"Debian package {package} ({why})"}
            start, size = start + size, size * 2
        return None

    @functools.cache
    def searched(self) -> str:
        """What find() looked through, for a failure message (cached as find is)."""
        def build():
            unknown = [p for l in self.layers for p in l.apt if packages.deb_fields(p) is None]
            text = (f"PATH {':'.join(self.path)}; the files its Dockerfiles COPY or make; the "
                    "console scripts of its Python releases; the file lists of its Debian packages")
            if unknown:
                text += f" (not in Debian, not searched: {', '.join(unknown)})"
            return text
        key = f"{dockerfile.KOLLA_VERSION}-{self.name}-{packages.index_key()}"
        return packages.cached("searched", key, build)


# A pip requirement looked into for a command of its own name, pinned as the
# 2025.1 upper constraints pin it (openstack/requirements, stable/2025.1).
PIP_PINS = {"uwsgi": "uWSGI==2.0.28"}


@functools.cache
def kolla_image(name: str) -> KollaImage:
    return KollaImage(name)
