"""The volume groups the region's LVM backends expect on the node: cinder's
`cinder-volumes` and manila's `manila-volumes` (their charts' default
`volume_group`), each on a sparse file in STATE attached to a loop device,
as an operator prepares a volume node's disks before installing.

Only metadata is written (pvcreate, vgcreate), which needs no device-mapper;
creating a logical volume does, and this host's kernel has none (docs/live.md,
"Host limits"). `tools/live down` detaches the loop devices before it
removes STATE.
"""
from __future__ import annotations

from pathlib import Path

from osh_live import paths
from osh_live.host import ensure_packages
from osh_live.proc import output, run, say

VOLUME_GROUPS = {"cinder-volumes": "20G", "manila-volumes": "10G"}
DIRECTORY = paths.STATE / "lvm"


def _loop_of(backing: Path) -> str:
    """The loop device `backing` is attached to, or ""."""
    found = output(["losetup", "--noheadings", "--output", "NAME", "--associated", str(backing)])
    return found.split()[0] if found.split() else ""


def _volume_groups() -> set[str]:
    return set(output(["vgs", "--noheadings", "--options", "vg_name"], check=False).split())


def ensure_volume_groups() -> None:
    ensure_packages(["lvm2"])
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    for name, size in VOLUME_GROUPS.items():
        backing = DIRECTORY / f"{name}.img"
        if not backing.exists():
            run(["truncate", "--size", size, str(backing)])
        device = _loop_of(backing) or output(["losetup", "--find", "--show", str(backing)]).strip()
        if name in _volume_groups():
            continue
        if not output(["pvs", "--noheadings", "--options", "pv_name", device], check=False).strip():
            run(["pvcreate", "--quiet", device])
        run(["vgcreate", "--quiet", name, device])
        say(f"volume group {name} on {device} ({backing}, {size} sparse)")


def detach() -> None:
    """Detach the loop devices of STATE's backing files (before `down` removes them)."""
    if not DIRECTORY.exists():
        return
    for backing in sorted(DIRECTORY.glob("*.img")):
        device = _loop_of(backing)
        if device:
            name = backing.stem
            run(["vgchange", "--activate", "n", name], check=False, quiet=True)
            run(["losetup", "--detach", device], check=False, quiet=True)
