"""The Python side of a Kolla 2025.1 image, rebuilt on this machine for the tests.

A venv laid out as Kolla's openstack-base lays out /var/lib/kolla/venv: made
by the system's python3 (`python3 -m venv`), with Kolla's version-free
`lib/python3 -> python3.X` symlink, owned by root, holding a real 2025.1
release from PyPI, installed by uv with the versions of tests/releases.py's
lock. It is built once into .cache/kolla/<service>, in the background while
the session runs (tests/releases.py), and mounted at /var/lib/kolla/venv by
`kubelet`. Unlike Kolla's, it does not see the system's site-packages: this
machine's Debian packages (an old pyOpenSSL) would break the release.

Kolla's users, from kolla/common/users.py and the images' usermod lines.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests import releases
from tests.conftest import ROOT

CACHE = ROOT / ".cache" / "kolla"
RELEASES = {"nova": "nova>=31,<32"}   # the 2025.1 (Epoxy) series
LAYOUT = "kolla-2025.1-venv-2"        # changes when the build below changes
SYSTEM_PYTHON = Path("/usr/bin/python3")

# name: (uid, gid); Kolla creates every user with a group of the same id.
USERS = {"root": (0, 0), "kolla": (42400, 42400), "qemu": (42427, 42427),
         "neutron": (42435, 42435), "nova": (42436, 42436)}
# Supplementary groups from the images' `usermod --append --groups`.
MEMBERS = {"kolla": ("nova", "neutron"), "qemu": ("nova",)}
# The image ENV a Kolla service image ends with (base and openstack-base).
IMAGE_ENV = {
    "PATH": "/var/lib/kolla/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "en_US.UTF-8",
    "KOLLA_BASE_DISTRO": "ubuntu",
    "KOLLA_INSTALL_TYPE": "source",
}


@dataclass(frozen=True)
class Image:
    """What the tests need to know of one Kolla image."""

    venv: Path          # the cached venv, mounted at /var/lib/kolla/venv
    user: str           # its USER
    env: dict

    @property
    def python_version(self) -> str:
        return next(p.name for p in (self.venv / "lib").iterdir()
                    if p.name.startswith("python3.") and not p.is_symlink())


def cannot_build() -> str | None:
    """Why the venv cannot be made here, or None."""
    if not SYSTEM_PYTHON.is_file():
        return (f"{SYSTEM_PYTHON} is missing: the Kolla-layout venv is made by the system's "
                "Python, which every user may run, as Kolla's is")
    return None


def passwd() -> str:
    return "".join(f"{name}:x:{uid}:{gid}::/var/lib/{name}:/usr/sbin/nologin\n"
                   for name, (uid, gid) in USERS.items() if name != "root") \
        + "root:x:0:0:root:/root:/bin/sh\n"


def group() -> str:
    return "".join(f"{name}:x:{gid}:{','.join(MEMBERS.get(name, ()))}\n"
                   for name, (_, gid) in USERS.items())


def identity(user: str) -> tuple[int, int, list[int]]:
    """uid, gid and supplementary groups of an image's user, as the runtime sets them."""
    uid, gid = USERS[user]
    return uid, gid, sorted(USERS[g][1] for g, members in MEMBERS.items() if user in members)


def build(service: str) -> Path:
    """The cached venv of `service`'s 2025.1 release, built on first use."""
    releases.wait("kolla")  # a background build of this venv
    venv = CACHE / service
    marker = venv / ".installed"
    wanted = f"{LAYOUT} {RELEASES[service]} {releases.LOCK.name} {releases.env().name}"
    if marker.is_file() and marker.read_text() == wanted:
        return venv
    old = os.umask(0o022)  # readable by the image's users, whatever the caller's umask
    try:
        if venv.exists():
            shutil.rmtree(venv)
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(venv)], check=True,
                       capture_output=True)
        short = subprocess.run([str(venv / "bin" / "python3"), "-c",
                                "import sys; print('%d.%d' % sys.version_info[:2])"],
                               check=True, capture_output=True, text=True).stdout.strip()
        (venv / "lib" / "python3").symlink_to(f"python{short}")  # as openstack-base does
        # Copies, not links into uv's cache, and bytecode, as pip in a Kolla build writes it.
        result = subprocess.run([str(releases.UV), "pip", "install", "--quiet",
                                 "--python", str(venv / "bin" / "python3"), "--link-mode", "copy",
                                 "--compile-bytecode", "-c", str(releases.LOCK), RELEASES[service]],
                                capture_output=True, text=True, timeout=1800)
        assert result.returncode == 0, f"uv pip install {RELEASES[service]}:\n{result.stderr[-3000:]}"
    finally:
        os.umask(old)
    marker.write_text(wanted)
    return venv


def image(service: str, user: str) -> Image:
    return Image(build(service), user, dict(IMAGE_ENV))
