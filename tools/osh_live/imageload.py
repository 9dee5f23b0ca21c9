"""Loading the live images into the cluster's containerd: into its k8s.io
namespace (the one the kubelet's CRI uses), under the names podman gives
them, and only those containerd does not have with the same image ID.
"""
from __future__ import annotations

import json
import subprocess
import time

from osh_live.proc import LiveError, output, say

NAMESPACE = "k8s.io"


def _ctr(address: str) -> list[str]:
    return ["ctr", "--address", address, "--namespace", NAMESPACE]


def containerd_ids(address: str) -> dict[str, str]:
    """{image name: image ID (its config digest)} of what containerd holds."""
    listed = output([*_ctr(address), "images", "list"]).splitlines()[1:]
    ids = {}
    for line in listed:
        fields = line.split()
        if len(fields) < 3:
            continue
        name, media_type, digest = fields[0], fields[1], fields[2]
        if "manifest" not in media_type or "list" in media_type or "index" in media_type:
            # A multi-platform index: not what podman save writes, never ours.
            continue
        manifest = json.loads(output([*_ctr(address), "content", "get", digest]))
        ids[name] = manifest["config"]["digest"]
    return ids


def podman_ids(refs: list[str]) -> dict[str, str]:
    found = output(["podman", "image", "inspect", "--format", "{{.Id}}", *refs]).split()
    return {ref: f"sha256:{image_id}" for ref, image_id in zip(refs, found)}


def missing(wanted: dict[str, str], present: dict[str, str]) -> list[str]:
    """The refs of `wanted` ({ref: id}) that `present` does not have with that ID."""
    return [ref for ref, image_id in wanted.items() if present.get(ref) != image_id]


def load(refs: list[str], containerd_address: str) -> list[str]:
    """Import the images of `refs` that containerd lacks; the refs imported.

    One `podman save` stream for all of them, so shared layers go once.
    """
    todo = missing(podman_ids(refs), containerd_ids(containerd_address))
    if not todo:
        return []
    say(f"loading {len(todo)} image(s) into containerd at {containerd_address}")
    started = time.monotonic()
    save = subprocess.Popen(["podman", "save", "--format", "docker-archive",
                             "--multi-image-archive", *todo], stdout=subprocess.PIPE)
    imported = subprocess.run([*_ctr(containerd_address), "images", "import", "-"],
                              stdin=save.stdout, capture_output=True, text=True)
    save.stdout.close()
    if save.wait() != 0 or imported.returncode != 0:
        raise LiveError(f"loading {' '.join(todo)} into containerd failed: "
                        f"{imported.stderr[-2000:]}")
    still = missing(podman_ids(todo), containerd_ids(containerd_address))
    if still:
        raise LiveError(f"containerd does not show {' '.join(still)} after the import")
    say(f"loaded {len(todo)} image(s) in {time.monotonic() - started:.0f} s")
    return todo
