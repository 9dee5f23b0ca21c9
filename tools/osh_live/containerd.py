"""The cluster's containerd (Debian's package) and its configuration. Images
reach it from podman, where they are built (osh_live.imageload).

Its root, where the images and their unpacked layers live, is in the cache,
so that images survive `tools/live down` and a warm `up` imports nothing; its
state (sockets, running containers) is under RUN and goes with `down`.
"""
from __future__ import annotations

from pathlib import Path

from osh_live import paths
from osh_live.daemons import Daemon
from osh_live.proc import output

NAMESPACE = "k8s.io"  # the containerd namespace of the CRI plugin


def root() -> Path:
    return paths.cache("containerd")


def address() -> Path:
    return paths.RUN / "containerd" / "containerd.sock"


def config(sandbox_image: str, cni_conf_dir: Path) -> Path:
    path = paths.STATE / "containerd.toml"
    state = paths.RUN / "containerd"
    paths.write_config(path, f"""version = 2
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
