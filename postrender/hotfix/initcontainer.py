"""The hot-fix init container of a pod, and the read-only mounts of its output.

For each distinct image among the pod's containers that run the component's
venv, one init container from that same image runs `initscript` as the
image's user: it copies the site-packages entries the patches change into
an emptyDir and patches them there. Each of those containers then mounts
every entry read-only over site-packages, so every process in it, including
those started with a clean environment (rootwrap, privsep through sudo),
imports the patched code. Builders only: the pod is edited in `mount`.
"""
from __future__ import annotations

import re
from pathlib import Path

from postrender.hotfix import initscript
from postrender.hotfix.patchfile import PatchFile

NAME = "hotfix"
SCRIPT_KEY = "hotfix-init.py"
SCRIPT = (Path(__file__).with_name("initscript.py")).read_text(encoding="utf-8")
SITE_PACKAGES = f"{initscript.KOLLA_VENV}/{initscript.SITE_PACKAGES_LINK}"
# `python3` through the image's PATH is the Kolla venv's Python; in an image
# without that venv the program says so and exits 0 (see initscript).
COMMAND_HEAD = ["python3"]

# Taken over from the container it serves, so that it runs as the same user.
IDENTITY_FIELDS = ("runAsUser", "runAsGroup", "runAsNonRoot")


def security_context() -> dict:
    """The container it serves may be privileged; the copy needs no privilege at all,
    and writes nothing but its emptyDir."""
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True, "seccompProfile": {"type": "RuntimeDefault"}}


INIT_CPU_MILLICORES = 50


def resources(served: dict) -> dict:
    """Below the request of the container it serves, so that the pod's effective
    request (the larger of init and regular) does not change: 50m of CPU, or
    the served container's own request when that is smaller. The memory limit
    holds the program (35 MB for nova) and the copy's page cache, which is
    charged to the container; CPU is left unbounded, as a limit only slows the copy."""
    cpu = f"{INIT_CPU_MILLICORES}m"
    requested = _millicores(((served.get("resources") or {}).get("requests") or {}).get("cpu"))
    if requested is not None and 0 < requested < INIT_CPU_MILLICORES:
        cpu = f"{requested}m"
    return {"requests": {"cpu": cpu, "memory": "64Mi"}, "limits": {"memory": "256Mi"}}


def _millicores(quantity) -> int | None:
    """A CPU quantity ("100m", "0.5", 2) in whole millicores; None if it is no plain one."""
    text = str(quantity).strip() if quantity is not None else ""
    try:
        if text.endswith("m"):
            return int(text[:-1])
        return int(float(text) * 1000)
    except ValueError:
        return None


_OWN_VOLUME = re.compile(rf"^{NAME}(-[0-9]+)?-site-packages$")


def name(group: int) -> str:
    """'hotfix' for the first image of the pod, 'hotfix-2' for the second, ..."""
    return NAME if group == 0 else f"{NAME}-{group + 1}"


def volume_name(group: int) -> str:
    return f"{name(group)}-site-packages"


def is_own_volume(volume: object) -> bool:
    return isinstance(volume, str) and _OWN_VOLUME.match(volume) is not None


def entries(patches: list[PatchFile]) -> list[str]:
    """The top-level entries of site-packages that the patches read or write."""
    return sorted({path.split("/", 1)[0] for patch in patches for path in patch.files})


def script_path(first_config_map: str) -> str:
    return f"{initscript.HOTFIX_DIR}/{first_config_map}/{SCRIPT_KEY}"


def is_own(container: dict) -> bool:
    """An init container this stage added (on an earlier run over the same stream)."""
    command = container.get("command")
    return (isinstance(command, list) and command[:1] == COMMAND_HEAD and len(command) == 2
            and isinstance(command[1], str) and command[1].startswith(initscript.HOTFIX_DIR + "/")
            and command[1].endswith("/" + SCRIPT_KEY))


def init_container(group: int, served: dict, config_volumes: list[tuple[str, str]],
                   site_entries: list[str]) -> dict:
    """The init container for one image; `config_volumes` is (volume, ConfigMap) in
    part order, `served` the first container that runs that image."""
    # Scalars (a uid, a gid, a boolean): nothing to copy deeply.
    security = {k: v for k, v in (served.get("securityContext") or {}).items()
                if k in IDENTITY_FIELDS}
    container = {"name": name(group), "image": served["image"]}
    if "imagePullPolicy" in served:
        container["imagePullPolicy"] = served["imagePullPolicy"]
    container.update({
        "command": [*COMMAND_HEAD, script_path(config_volumes[0][1])],
        "args": list(site_entries),
        "securityContext": {**security_context(), **security},
        "resources": resources(served),
        # A conflict's message then shows in `kubectl describe pod` too.
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": [
            *({"name": volume, "mountPath": f"{initscript.HOTFIX_DIR}/{config_map}",
               "readOnly": True} for volume, config_map in config_volumes),
            {"name": volume_name(group), "mountPath": initscript.OUTPUT},
        ],
    })
    return container


def site_mounts(group: int, site_entries: list[str]) -> list[dict]:
    """Read-only mounts of the patched copies over site-packages, one per entry."""
    return [{"name": volume_name(group), "mountPath": f"{SITE_PACKAGES}/{entry}",
             "subPath": entry, "readOnly": True} for entry in site_entries]
