"""The cluster's containerd (Debian's package): its configuration, and images
imported into it from podman, where the live images are built.

Its root, where the images and their unpacked layers live, is in the cache,
so that images survive `tools/live down` and a warm `up` imports nothing; its
state (sockets, running containers) is under RUN and goes with `down`.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from osh_live import paths
from osh_live.daemons import Daemon
from osh_live.proc import LiveError, output, run, say

NAMESPACE = "k8s.io"  # the containerd namespace of the CRI plugin


def root() -> Path:
    return paths.cache("containerd")


def address() -> Path:
    return paths.RUN / "containerd" / "containerd.sock"


def config(sandbox_image: str, cni_conf_dir: Path) -> Path:
    path = paths.STATE / "containerd.toml"
    state = paths.RUN / "containerd"
    path.write_text(f"""version = 2
root = "{root()}"
state = "{state}"

[grpc]
  address = "{address()}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{paths.STATE / 'containerd-opt'}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{sandbox_image}"
  # Root here lacks CAP_SYS_RESOURCE, so no process may lower its OOM score
  # below its parent's: the kubelet's -998 for sandboxes would fail every pod.
  restrict_oom_score_adj = true
  # Images are built on this machine and never pulled; a registry is never asked.
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # No systemd here: the kubelet uses the cgroupfs driver too.
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{cni_conf_dir}"
""")
    return path


def daemon(config_path: Path) -> Daemon:
    return Daemon("containerd", ("containerd", "--config", str(config_path)))


def ctr(*args: str, **kwargs) -> str:
    return output(["ctr", "--address", address(), "--namespace", NAMESPACE, *args], **kwargs)


def _podman_id(reference: str) -> str:
    return output(["podman", "image", "inspect", "--format", "{{.Id}}", reference]).strip()


def _imported_record() -> Path:
    return root() / "osh-live-imported.json"


def import_from_podman(references: list[str]) -> list[str]:
    """Import podman images into containerd, skipping those it already has.

    An image counts as present when containerd lists its reference and the
    record kept beside containerd's store says it came from the podman image
    of the same ID; a rebuilt image is imported again.
    """
    record_path = _imported_record()
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError):
        record = {}
    listed = {line.split()[0] for line in ctr("images", "list", "--quiet").splitlines() if line.strip()}
    imported = []
    for reference in references:
        image_id = _podman_id(reference)
        if reference in listed and record.get(reference) == image_id:
            continue
        say(f"importing {reference} into containerd")
        save = subprocess.Popen(["podman", "save", "--format", "docker-archive", reference],
                                stdout=subprocess.PIPE)
        try:
            run(["ctr", "--address", address(), "--namespace", NAMESPACE, "images", "import", "-"],
                stdin=save.stdout, quiet=True)
        finally:
            save.stdout.close()
            if save.wait() != 0:
                raise LiveError(f"podman save {reference} exited {save.returncode}")
        record[reference] = image_id
        record_path.write_text(json.dumps(record, indent=1, sort_keys=True))
        imported.append(reference)
    return imported
