"""A server boots: an image built here (`tools/live guest-image`: Debian's
kernel, a busybox initrd whose /init writes a line to the console) goes into
Glance, and a server of it on a tenant network reaches ACTIVE under QEMU on
the live node, with that line in its console log. Runs after test_region,
which installs the whole region.
"""
from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from tests.live.test_region import (LIVE, ROOT, eventually, live, openstack,  # noqa: F401
                                     openstack_json, region)

sys.path.insert(0, str(ROOT / "tools"))
from osh_live.guestimage import MARKER  # noqa: E402


def upload(path: Path, name: str, *properties: str, disk_format: str) -> str:
    return openstack("--file", str(path), "image", "create", name, "--disk-format", disk_format,
                     "--container-format", disk_format, "--file", f"/tmp/{path.name}",
                     *properties, "-f", "value", "-c", "id").strip().splitlines()[-1]


def test_a_server_of_an_image_built_here_boots_to_active_and_runs_its_init(region):
    built = subprocess.run([LIVE, "guest-image"], capture_output=True, text=True, cwd=ROOT,
                           timeout=900)
    assert built.returncode == 0, built.stderr[-2000:]
    kernel, ramdisk, disk = (Path(line) for line in built.stdout.split())
    name = f"live-{uuid.uuid4().hex[:8]}"
    made: list[tuple[str, ...]] = []
    try:
        kernel_id = upload(kernel, f"{name}-kernel", disk_format="aki")
        made.append(("image", "delete", f"{name}-kernel"))
        ramdisk_id = upload(ramdisk, f"{name}-initrd", disk_format="ari")
        made.append(("image", "delete", f"{name}-initrd"))
        upload(disk, name, "--property", f"kernel_id={kernel_id}", "--property",
               f"ramdisk_id={ramdisk_id}", "--property", "os_command_line=console=ttyS0",
               disk_format="ami")
        made.append(("image", "delete", name))
        openstack("flavor", "create", name, "--ram", "256", "--disk", "1", "--vcpus", "1")
        made.append(("flavor", "delete", name))
        openstack("network", "create", name)
        made.append(("network", "delete", name))
        openstack("subnet", "create", name, "--network", name, "--subnet-range", "192.168.78.0/24")
        openstack("server", "create", name, "--flavor", name, "--image", name, "--network", name)
        made.append(("server", "delete", "--wait", name))

        def settled():
            server = openstack_json("server", "show", name)
            return server["status"] in ("ACTIVE", "ERROR") and server
        server = eventually(settled, "the server ACTIVE or ERROR", timeout=600)
        assert server["status"] == "ACTIVE", server.get("fault")
        log = eventually(lambda: MARKER in (text := openstack("console", "log", "show", name)) and text,
                         "the guest's init on its console", timeout=300)
        assert f"{MARKER} on " in log
    finally:
        for command in reversed(made):
            live("openstack", *command)
