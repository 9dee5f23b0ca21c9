"""The template override with pip's settings for every image: trust of what
this machine trusts, and the build tools' constraints. Containers reach PyPI
through the machine's TLS-inspecting proxy, so pip in an image build must
trust the certificate authorities the host's bundle adds to Debian's own.
Generated on each build from the host's files, never committed: they belong
to the machine, not to the project.
"""
from __future__ import annotations

import re
from pathlib import Path

HOST_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEBIAN_CERTIFICATES = Path("/usr/share/ca-certificates")

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)


def _normal(pem: str) -> str:
    return "".join(pem.split())


def extra_certificates(bundle: str, known: list[str]) -> list[str]:
    """The certificates of `bundle` that are none of the `known` ones, in order."""
    seen = {_normal(pem) for text in known for pem in _PEM.findall(text)}
    return [pem for pem in _PEM.findall(bundle) if _normal(pem) not in seen]


PIP_CONSTRAINTS = "/etc/pip-build-constraints.txt"


def override(certificates: list[str], build_constraints: list[str]) -> str:
    """A template override adding `certificates` to the base image's trust
    store and constraining the build tools pip installs.

    Kolla's base_pip_conf block is where pip settings go; pip reads
    PIP_CERT, and update-ca-certificates makes apt and curl agree with it.
    PIP_BUILD_CONSTRAINT reaches the environments pip builds sdists in,
    which `-c upper-constraints.txt` does not; PIP_CONSTRAINT holds the same
    for the venvs' own setuptools.
    """
    lines = ["{% extends parent_template %}", "{% block base_pip_conf %}"]
    if build_constraints:
        quoted = " ".join(f"'{c}'" for c in build_constraints)
        lines.append(f"RUN printf '%s\\n' {quoted} > {PIP_CONSTRAINTS}")
        lines.append(f"ENV PIP_CONSTRAINT={PIP_CONSTRAINTS} PIP_BUILD_CONSTRAINT={PIP_CONSTRAINTS}")
    if certificates:
        steps = []
        for number, pem in enumerate(certificates, 1):
            quoted = " ".join(f"'{line}'" for line in pem.splitlines())
            steps.append(f"printf '%s\\n' {quoted} "
                         f"> /usr/local/share/ca-certificates/osh-live-host-{number}.crt")
        steps.append("update-ca-certificates")
        lines.append("RUN " + " \\\n    && ".join(steps))
        lines.append("ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt")
    lines += ["{% endblock %}", ""]
    return "\n".join(lines)


def host_override(build_constraints: list[str]) -> str:
    bundle = HOST_BUNDLE.read_text() if HOST_BUNDLE.exists() else ""
    known = [path.read_text() for path in sorted(DEBIAN_CERTIFICATES.rglob("*.crt"))]
    return override(extra_certificates(bundle, known), build_constraints)
