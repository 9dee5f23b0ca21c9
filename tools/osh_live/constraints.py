"""The upper constraints the images install with, standing in for
openstack/requirements' 2025.1 file (not reachable here): resolved by pip
from PyPI for the 2025.1 sdists and every package Kolla's Dockerfiles install.

Two resolutions. The first reads PyPI as it was on the 2025.1 release date,
which freezes the other libraries as the 2025.1 constraints froze them. The
second lets each OpenStack library move to the newest release of the series
it had on that date (its stable/2025.1 bug-fix releases), never to a later
series. The result is cached, keyed by everything it was resolved from.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import shlex
import subprocess
import tarfile
from pathlib import Path

from osh_live import host, kollaenv, paths, versions
from osh_live.proc import LiveError, say

# Bumped when the resolution below changes, so that the cache follows.
RULES = "2"

# Never constrained: the build tools themselves, which Kolla's Dockerfiles
# pin where they must, and ovs, which Kolla removes (Debian's is newer).
UNCONSTRAINED = {"pip", "setuptools", "wheel", "ovs"}

_CONSTRAINED_INSTALL = "-c /requirements/upper-constraints.txt"
_STOP = {"&&", "||", ";", "\\"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dockerfile_requirements(text: str) -> tuple[list[str], list[str]]:
    """(requirements, requirement files) Kolla's Dockerfile `text` installs
    against the constraints; source trees (/keystone, /plugins/*) excluded."""
    requirements, files = [], []
    text = text.replace("\\\n", " ")
    for line in text.splitlines():
        for part in line.split(_CONSTRAINED_INSTALL)[1:]:
            tokens = iter(shlex.split(part))
            for token in tokens:
                if token in _STOP or token.endswith(";"):
                    break
                if token == "-r":
                    files.append(next(tokens))
                elif not token.startswith(("-", "/", "$")):
                    requirements.append(token)
    return requirements, files


def requirement_name(requirement: str) -> str:
    return canonical(re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0])


def is_openstack(metadata: dict) -> bool:
    """Whether a package is an OpenStack deliverable, by its core metadata."""
    fields = [metadata.get("author_email") or "", metadata.get("home_page") or "",
              *(metadata.get("project_url") or [])]
    return any("lists.openstack.org" in field or "docs.openstack.org" in field
               or "opendev.org/openstack" in field or "launchpad.net" in field
               for field in fields)


def series(version: str) -> str:
    """The release series of an OpenStack library version: its X.Y."""
    return ".".join(version.split(".")[:2])


def frozen_constraints(installs: list[dict], sourced: set[str]) -> list[str]:
    """The second resolution's constraints from the first one's report items:
    other libraries exactly, OpenStack libraries within their series."""
    out = []
    for item in installs:
        metadata = item["metadata"]
        name = canonical(metadata["name"])
        if name in sourced or name in UNCONSTRAINED:
            continue
        version = metadata["version"]
        if is_openstack(metadata) and re.fullmatch(r"\d+\.\d+(\.\d+)*", version):
            out.append(f"{name}=={series(version)}.*")
        else:
            out.append(f"{name}=={version}")
    return sorted(out)


def upper_constraints(installs: list[dict], sourced: set[str]) -> str:
    """upper-constraints.txt text: one `name===version` line a package."""
    lines = {canonical(item["metadata"]["name"]): item["metadata"]["version"]
             for item in installs}
    return "".join(f"{name}==={version}\n" for name, version in sorted(lines.items())
                   if name not in sourced and name not in UNCONSTRAINED)


def _resolve(requirements: list[str], sdists: list[Path], constraints: list[str],
             work: Path, name: str, uploaded_prior_to: str | None) -> list[dict]:
    """pip's resolution of the inputs: its report's install items. A report
    of an earlier run with the same inputs (same `work`) is reused, so that a
    failure in the second resolution does not cost the first one again."""
    report = work / f"{name}.json"
    if report.exists():
        return json.loads(report.read_text())["install"]
    constraint_file = work / f"{name}-constraints.txt"
    constraint_file.write_text("".join(f"{c}\n" for c in constraints))
    build_file = work / "build-constraints.txt"
    build_file.write_text("".join(f"{c}\n" for c in versions.PIP_BUILD_CONSTRAINTS))
    partial = work / f"{name}.partial.json"
    argv = [*kollaenv.pip(), "install", "--dry-run", "--ignore-installed",
            "--progress-bar", "off", "--report", partial, "-c", constraint_file,
            "--build-constraint", build_file]
    if uploaded_prior_to:
        argv += ["--uploaded-prior-to", uploaded_prior_to]
    log = work / f"{name}.log"
    say(f"pip resolves ({name}); log {log}")
    with log.open("w") as out:
        result = subprocess.run([str(a) for a in [*argv, *sdists, *requirements]],
                                stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise LiveError(f"resolving the constraints failed ({name}); log: {log}")
    partial.rename(report)
    return json.loads(report.read_text())["install"]


def archive(text: str) -> bytes:
    """A requirements source archive: one top directory with the file."""
    data = text.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for member, content in (("requirements", None), ("requirements/upper-constraints.txt", data)):
            info = tarfile.TarInfo(member)
            info.mtime = 0
            if content is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def ensure(requirements: list[str], sdists: dict[str, Path]) -> Path:
    """The constraints archive for these inputs, resolved unless cached."""
    # Kolla pins pip and setuptools itself where it must (`pip==25.2.*`),
    # after the constraints are read: those are not the constraints' business.
    requirements = sorted({r for r in requirements if requirement_name(r) not in UNCONSTRAINED})
    sourced = {canonical(path.name.rsplit("-", 1)[0]) for path in sdists.values()}
    key = hashlib.sha256(json.dumps(
        [RULES, versions.OPENSTACK_RELEASE_DATE, versions.PIP,
         versions.PIP_BUILD_CONSTRAINTS, requirements,
         sorted(path.name for path in sdists.values())]).encode()).hexdigest()[:16]
    work = paths.cache("kolla", "constraints", key)
    result = work / "requirements.tar.gz"
    if result.exists():
        return result
    files = sorted(sdists.values())
    # pip reads the metadata of a package with no wheel by running its build
    # backend, and gssapi's (requests-kerberos, keystone's image) calls
    # krb5-config.
    host.ensure_packages(["libkrb5-dev"])
    say(f"resolving the 2025.1 constraints for {len(files)} sources and "
        f"{len(requirements)} packages (a few minutes; in {work})")
    frozen = _resolve(requirements, files, [], work, "at-release",
                      f"{versions.OPENSTACK_RELEASE_DATE}T00:00:00Z")
    final = _resolve(requirements, files, frozen_constraints(frozen, sourced), work,
                     "stable", None)
    text = upper_constraints(final, sourced)
    (work / "upper-constraints.txt").write_text(text)
    partial = work / "requirements.tar.gz.partial"
    partial.write_bytes(archive(text))
    partial.rename(result)
    return result
