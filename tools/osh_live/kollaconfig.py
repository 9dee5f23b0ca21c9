"""What kolla-build is given: its configuration file (the sources), the
template overrides and its options. Everything here goes through Kolla's
documented mechanisms: `type = local` sources, `enabled = False` for
plugins, --template-override, --repos-yaml and the command line options.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from osh_live import hosttrust, kollaenv, versions
from osh_live.proc import output

HERE = Path(__file__).resolve().parent / "kolla"
OVERRIDES = HERE / "template-overrides.j2"
REPOS = HERE / "repos.yaml"

NAMESPACE = "openstack.kolla"
TAG = f"{versions.OPENSTACK_SERIES}-debian-bookworm"
REGISTRY = "localhost"


def ref(image: str) -> str:
    """The name of a kolla-build image. kolla-build is given the registry:
    without it the name would be `openstack.kolla/<image>`, whose first part
    (it has a dot) podman and containerd take for a registry's host, and the
    charts' <registry>/<namespace>/<image> could not name it."""
    return f"{REGISTRY}/{NAMESPACE}/{image}:{TAG}"


def kolla_sections() -> list[str]:
    """Every source section Kolla knows, from the installed kolla."""
    code = "import json; from kolla.common.sources import SOURCES; print(json.dumps(list(SOURCES)))"
    return json.loads(output([kollaenv.venv() / "bin" / "python", "-c", code]))


def config_text(sources: dict[str, Path], known: list[str],
                constraints: Path | None) -> str:
    """kolla-build.conf: each source a local file, other plugins switched off.

    The constraints archive is openstack-base's source (as the requirements
    tarball is upstream) and kolla-toolbox's additions archive.
    """
    sections: dict[str, dict[str, str]] = {}
    for section in known:
        if "-plugin-" in section and section not in sources:
            sections[section] = {"enabled": "False"}
    for section, path in sources.items():
        sections[section] = {"type": "local", "location": str(path)}
    if constraints is not None:
        for section in ("openstack-base", "kolla-toolbox-additions-requirements"):
            sections[section] = {"type": "local", "location": str(constraints)}
    return "".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in body.items()) + "\n"
                   for name, body in sorted(sections.items()))


def templates_key(work: Path) -> str:
    """The digest of what the Dockerfiles are rendered from (after write())."""
    parts = [versions.KOLLA, REGISTRY, NAMESPACE, TAG, OVERRIDES.read_text(), REPOS.read_text(),
             (work / "host-trust.j2").read_text()]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def write(work: Path, sources: dict[str, Path], constraints: Path | None) -> list[str]:
    """Write the configuration into `work`; the kolla-build arguments that use it."""
    work.mkdir(parents=True, exist_ok=True)
    config = work / "kolla-build.conf"
    config.write_text(config_text(sources, kolla_sections(), constraints))
    trust = work / "host-trust.j2"
    trust.write_text(hosttrust.host_override(versions.PIP_BUILD_CONSTRAINTS))
    return ["--config-file", str(config),
            "--base", "debian", "--base-tag", "bookworm",
            "--registry", REGISTRY, "--namespace", NAMESPACE, "--tag", TAG,
            "--template-override", str(OVERRIDES), "--template-override", str(trust),
            "--repos-yaml", str(REPOS)]
