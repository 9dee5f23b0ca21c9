"""tools/live guest-image: a small guest for the region's computes, built here.

Three files for Glance, in CACHE/guest-image/<kernel package>/:
- vmlinuz: the kernel of Debian bookworm's linux-image-amd64, as it is;
- initrd: a newc cpio archive with busybox (Debian's busybox-static) and an
  /init that mounts /proc and /dev, writes MARKER and the kernel release to
  the console, and then sleeps, so the guest stays running;
- disk.raw: an empty 1 MiB disk, for the image that names the other two.

Nova boots such an image straight into the kernel (Glance's aki/ari/ami
formats, the image properties kernel_id, ramdisk_id and os_command_line), so
no boot loader is needed. Prints the three paths, one per line.
"""
from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import tarfile
import tempfile
from pathlib import Path

from osh_live import paths
from osh_live.proc import output, run, say

MARKER = "osh-live guest: init started"
KERNEL_META = "linux-image-amd64"
BUSYBOX = "busybox-static"
INIT = f"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs devtmpfs /dev
echo "{MARKER} on $(/bin/busybox uname -r)"
exec /bin/busybox sleep 2147483647
"""


def add_arguments(parser, name: str) -> None:
    pass


def _kernel_package() -> str:
    """The versioned kernel package linux-image-amd64 depends on."""
    found = re.search(r"Depends: (linux-image-\S+)", output(["apt-cache", "depends", KERNEL_META]))
    if not found:
        raise SystemExit(f"live: apt-cache names no kernel package for {KERNEL_META}")
    return found[1]


def _extract(deb: Path, member_pattern: str) -> bytes:
    """The one file of `deb` whose path matches `member_pattern`."""
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], check=True,
                         capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        for member in archive.getmembers():
            if member.isfile() and re.fullmatch(member_pattern, member.name):
                return archive.extractfile(member).read()
    raise SystemExit(f"live: {deb.name} has no file matching {member_pattern}")


def _newc(entries: list[tuple[str, int, bytes, int, int]]) -> bytes:
    """A cpio archive in the kernel's initramfs format: (name, mode, data, rdev major, minor)."""
    out = bytearray()
    for number, (name, mode, data, major, minor) in enumerate([*entries, ("TRAILER!!!", 0, b"", 0, 0)], 1):
        encoded = name.encode() + b"\0"
        fields = (number, mode, 0, 0, 1, 0, len(data), 0, 0, major, minor, len(encoded), 0)
        out += b"070701" + b"".join(f"{f:08x}".encode() for f in fields) + encoded
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def build() -> dict[str, Path]:
    package = _kernel_package()
    directory = paths.CACHE / "guest-image" / package
    files = {"kernel": directory / "vmlinuz", "ramdisk": directory / "initrd",
             "disk": directory / "disk.raw"}
    if all(f.exists() for f in files.values()):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.chmod(tmp, 0o755)  # apt-get downloads as _apt where it can
        run(["apt-get", "download", package, BUSYBOX], cwd=tmp)
        kernel = _extract(next(tmp.glob(f"{package}_*.deb")), r"\./boot/vmlinuz-.*")
        busybox = _extract(next(tmp.glob(f"{BUSYBOX}_*.deb")), r"\./bin/busybox")
        files["kernel"].write_bytes(kernel)
        files["ramdisk"].write_bytes(_newc([
            ("bin", stat.S_IFDIR | 0o755, b"", 0, 0),
            ("bin/busybox", stat.S_IFREG | 0o755, busybox, 0, 0),
            ("dev", stat.S_IFDIR | 0o755, b"", 0, 0),
            ("dev/console", stat.S_IFCHR | 0o600, b"", 5, 1),
            ("init", stat.S_IFREG | 0o755, INIT.encode(), 0, 0),
        ]))
        with open(files["disk"], "wb") as disk:
            disk.truncate(1 << 20)
    say(f"guest image from {package} and {BUSYBOX} in {directory}")
    return files


def main(args) -> int:
    for path in build().values():
        print(path)
    return 0
