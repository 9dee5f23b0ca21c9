"""podman's API service on a unix socket, for kolla-build's podman engine:
started for a build and stopped after it, so nothing stays running."""
from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

from osh_live import paths
from osh_live.proc import LiveError, say


@contextlib.contextmanager
def running(log: Path):
    """Yield the service's URL while it runs; its output goes to `log`."""
    socket = paths.RUN / "images" / "podman.sock"
    socket.parent.mkdir(parents=True, exist_ok=True)
    socket.unlink(missing_ok=True)
    url = f"unix://{socket}"
    with log.open("a") as out:
        service = subprocess.Popen(["podman", "system", "service", "--time=0", url],
                                   stdout=out, stderr=subprocess.STDOUT)
    say(f"podman system service (pid {service.pid}) on {socket}")
    try:
        deadline = time.monotonic() + 30
        while not socket.exists():
            if service.poll() is not None or time.monotonic() > deadline:
                raise LiveError(f"podman system service did not start; log: {log}")
            time.sleep(0.1)
        yield url
    finally:
        service.terminate()
        try:
            service.wait(timeout=30)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
        socket.unlink(missing_ok=True)
