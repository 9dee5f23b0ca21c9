"""The 2025.1 releases whose own option definitions check the oslo config
files the charts render: every service's release in one venv under
.cache/oslo, installed by uv from the lock tests/releases-2025.1.txt.

The services are co-installable (2025.1's constraints are made for that), so
one resolution and one install serve them all, where a venv per service took
pip minutes each. Each service is still checked against its own options only:
tests/charts2/oslo_check.py loads the option entry points of the
distributions the service's requirements reach, as a venv of its own holds.

A session that runs a test marked `releases` starts the install in the
background as soon as it has collected (tests/conftest.py), and runs those
tests last; the first of them waits for it here.

The lock: the RELEASES below, resolved for every Python from 3.11 on against
the 2025.1 upper constraints that `tools/live images` resolves (docs/live.md):

    .venv/bin/python -m tests.releases lock ~/.cache/osh-live/kolla/constraints/<key>/upper-constraints.txt
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = Path(__file__).with_name("releases-2025.1.txt")
# The 2025.1 (Epoxy) series of each service, by the name its charts use.
RELEASES = {
    "nova": "nova>=31,<32",
    "placement": "openstack-placement>=13,<14",
    "neutron": "neutron>=26,<27",
    "ironic": "ironic>=29,<30",
    "glance": "glance==30.0.0",
    "cinder": "cinder==26.0.0",
    "manila": "manila==20.0.0",
    "barbican": "barbican==20.0.0",
    "designate": "designate==20.0.0",
    # neutron's ML2 baremetal driver and ironic-neutron-agent (the neutron
    # chart runs them when the region runs Ironic): the 2025.1 release that
    # Kolla's neutron images install (tools/osh_live/versions.py).
    "networking-baremetal": "networking-baremetal>=6.5,<6.6",
}
# What `python -m venv` used to put beside each release: cinder and os-win
# import pkg_resources, which setuptools 82 dropped.
EXTRA = ["setuptools<82"]
UV = Path(sys.executable).parent / "uv"   # tools/setup links it there
BUILD_TIMEOUT = 1800


def distribution(service: str) -> str:
    """The distribution name of a service's release (nova, openstack-placement, ...)."""
    return re.match(r"[A-Za-z0-9._-]+", RELEASES[service]).group(0)


def env() -> Path:
    """The venv's directory: named by the lock's digest, so a new lock is a new venv."""
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
    return ROOT / ".cache" / "oslo" / f"2025.1-{digest}"


def _log() -> Path:
    return env().parent / f"{env().name}.log"


def _ready() -> bool:
    return (env() / ".installed").is_file()


def build() -> None:
    """Install the lock into a new venv (uv's own cache, ~/.cache/uv, is shared
    between clones). Output goes to the log beside the venv."""
    venv = env()
    if _ready():
        return
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with _log().open("w") as log:
        for argv in ([UV, "venv", "--python", sys.executable, venv],
                     [UV, "pip", "sync", "--python", venv / "bin" / "python", LOCK]):
            started = time.monotonic()
            result = subprocess.run([str(a) for a in argv], stdout=log, stderr=subprocess.STDOUT)
            print(f"# uv {' '.join(str(a) for a in argv[1:3])}: exit {result.returncode} "
                  f"after {time.monotonic() - started:.0f} s", file=log, flush=True)
            if result.returncode != 0:
                return
    (venv / ".installed").write_text(LOCK.name)


_building: dict[str, subprocess.Popen] = {}


def start(kolla: bool = False) -> None:
    """Start build() in a background process and, with `kolla`, the Kolla venv
    of the hot-fix tests (tests/hotfix/kolla_image.py) in another: uv's cache
    lets each wheel be fetched once."""
    for what in ["releases", *(["kolla"] if kolla else [])]:
        if what not in _building:
            _building[what] = subprocess.Popen(
                [sys.executable, "-m", "tests.releases", "build", what], cwd=ROOT,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait(what: str = "releases") -> None:
    """Wait for a background build, if one was started."""
    process = _building.pop(what, None)
    if process is not None:
        process.wait(timeout=BUILD_TIMEOUT)


def stop() -> None:
    """End the background builds still running (a session that ended early):
    a half-built venv has no marker, so the next session builds it again."""
    while _building:
        _, process = _building.popitem()
        process.terminate()
        process.wait()


class Unavailable(RuntimeError):
    """The releases could not be installed (no package index reachable)."""


def python() -> Path:
    """The venv's python, once the venv is there: waits for the background
    build, or builds it here when none was started."""
    wait()
    if not _ready():
        build()
    if not _ready():
        tail = _log().read_text()[-3000:] if _log().exists() else "(no log)"
        raise Unavailable(f"installing {LOCK.name} into {env()} failed; {_log()}:\n{tail}")
    return env() / "bin" / "python"


def run(argv: list[str], timeout: float = 600,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A program run by the venv's python, with `env` added to the environment.
    Its bytecode is written as it goes (the venv is installed without), so
    later runs import the shared libraries compiled."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run([str(python()), *argv], capture_output=True, text=True, timeout=timeout,
                          env={**environ, "PYTHONWARNINGS": "ignore", **(env or {})})


def lock(constraints: Path) -> None:
    """Write LOCK: RELEASES and EXTRA resolved by uv against `constraints`."""
    with tempfile.TemporaryDirectory() as tmp:
        wanted = Path(tmp) / "releases.in"
        wanted.write_text("".join(f"{r}\n" for r in [*RELEASES.values(), *EXTRA]))
        out = subprocess.run([str(UV), "pip", "compile", "--quiet", "--universal",
                              "--python-version", "3.11", "--no-header", "--no-annotate",
                              "-c", str(constraints), str(wanted)],
                             check=True, capture_output=True, text=True).stdout
    LOCK.write_text("# The 2025.1 releases of tests/releases.py, resolved by uv against the 2025.1\n"
                    "# upper constraints; regenerate with: python -m tests.releases lock FILE\n"
                    + out)


if __name__ == "__main__":
    if sys.argv[1:] == ["build", "releases"]:
        build()
    elif sys.argv[1:] == ["build", "kolla"]:
        from tests.hotfix import kolla_image
        kolla_image.build("nova")
    elif len(sys.argv) == 3 and sys.argv[1] == "lock":
        lock(Path(sys.argv[2]))
    else:
        sys.exit("usage: python -m tests.releases build releases|kolla | lock CONSTRAINTS")
