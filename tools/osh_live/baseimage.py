"""The base image every live image builds on: a minimal Debian root file
system from debootstrap, imported into podman. Built once; it is kept as long
as podman has it, and never pulled from a registry.
"""
from __future__ import annotations

import shutil
import subprocess
import time

from osh_live import host, paths
from osh_live.proc import LiveError, say

SUITE = "bookworm"
REF = f"localhost/osh-live/debian:{SUITE}"


def ensure() -> str:
    """The base image's reference, built first if podman does not have it."""
    if host.podman_has_image(REF):
        return REF
    work = paths.cache("base")
    rootfs = work / f"rootfs-{SUITE}"
    log = work / "debootstrap.log"
    shutil.rmtree(rootfs, ignore_errors=True)
    say(f"debootstrap {SUITE} (about 80 s; log {log})")
    started = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run(["debootstrap", "--variant=minbase", SUITE, str(rootfs)],
                                stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise LiveError(f"debootstrap {SUITE} failed; log: {log}")
    try:
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(["podman", "import", "--change", "CMD /bin/bash", "-", REF],
                                  stdin=tar.stdout, capture_output=True, text=True)
        tar.stdout.close()
        if tar.wait() != 0 or imported.returncode != 0:
            raise LiveError(f"podman import of {rootfs} failed: {imported.stderr[-2000:]}")
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    say(f"base image {REF} in {time.monotonic() - started:.0f} s")
    return REF
