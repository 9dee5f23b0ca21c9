"""Building the cluster's upstream components from their own Go modules.

Each component has a Go module of its own under go/<component>/ whose go.mod
names the upstream commands as `tool`s and whose go.sum pins every module
they are built from; the Go module proxy serves them. Kubernetes' staging
modules (k8s.io/api, ...) are replaced by their published releases of the
same version, which is what k8s.io/kubernetes' own replace directives point
at in its repository. The binaries land in the cache under a directory keyed
by the component's version and go.sum, so a change of either rebuilds.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from osh_live import paths, versions
from osh_live.proc import LiveError, output, run, say

GO_MODULES = Path(__file__).resolve().parent / "go"


def _kubernetes_ldflags() -> list[str]:
    major, minor = versions.KUBERNETES.lstrip("v").split(".")[:2]
    # What Kubernetes' own build stamps in, so that `version` and the
    # API server's /version report the release instead of v0.0.0.
    stamps = {
        "k8s.io/component-base/version.gitVersion": versions.KUBERNETES,
        "k8s.io/component-base/version.gitMajor": major,
        "k8s.io/component-base/version.gitMinor": minor,
        "k8s.io/component-base/version.gitTreeState": "clean",
        "k8s.io/client-go/pkg/version.gitVersion": versions.KUBERNETES,
        "k8s.io/client-go/pkg/version.gitMajor": major,
        "k8s.io/client-go/pkg/version.gitMinor": minor,
    }
    return [f"-X {key}={value}" for key, value in stamps.items()]


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    packages: tuple[str, ...]
    ldflags: tuple[str, ...] = field(default=())

    @property
    def module_dir(self) -> Path:
        return GO_MODULES / self.name

    def key(self) -> str:
        digest = hashlib.sha256()
        for name in ("go.mod", "go.sum"):
            digest.update((self.module_dir / name).read_bytes())
        digest.update(" ".join(self.ldflags).encode())
        return f"{self.name}-{self.version}-{digest.hexdigest()[:12]}"

    def bin_dir(self) -> Path:
        return paths.CACHE / "bin" / self.key()

    def binaries(self) -> list[str]:
        return [package.rstrip("/").rsplit("/", 1)[-1] for package in self.packages]


KUBERNETES = Component(
    "kubernetes", versions.KUBERNETES,
    tuple(f"k8s.io/kubernetes/cmd/{cmd}" for cmd in (
        "kube-apiserver", "kube-controller-manager", "kube-scheduler",
        "kubelet", "kube-proxy", "kubectl")),
    tuple(_kubernetes_ldflags()))
ETCD = Component("etcd", versions.ETCD, ("go.etcd.io/etcd/server/v3",))
COREDNS = Component("coredns", versions.COREDNS, ("github.com/coredns/coredns",))
CRI_TOOLS = Component(
    "cri-tools", versions.CRI_TOOLS, ("sigs.k8s.io/cri-tools/cmd/crictl",),
    (f"-X sigs.k8s.io/cri-tools/pkg/version.Version={versions.CRI_TOOLS}",))
KWOK = Component("kwok", versions.KWOK, ("sigs.k8s.io/kwok/cmd/kwok",),
                 (f"-X sigs.k8s.io/kwok/pkg/consts.Version={versions.KWOK}",))

CLUSTER = (KUBERNETES, ETCD, COREDNS, CRI_TOOLS)

# Binary names that differ from the package's last path element.
_RENAMES = {"go.etcd.io/etcd/server/v3": "etcd", "github.com/coredns/coredns": "coredns"}


def _go() -> str:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if not go:
        raise LiveError("no `go` command: the live cluster builds its components from their Go sources")
    return go


def build(component: Component) -> Path:
    """The component's binaries, built now if the cache has none for its key."""
    target = component.bin_dir()
    stamp = target / ".built"
    if stamp.exists():
        return target
    go = _go()
    say(f"building {component.name} {component.version} from its Go modules (cold: minutes)")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    env = {"CGO_ENABLED": os.environ.get("CGO_ENABLED", "0"), "GOFLAGS": "-mod=readonly"}
    ldflags = " ".join(("-s", "-w") + component.ldflags)
    for package in component.packages:
        name = _RENAMES.get(package, package.rsplit("/", 1)[-1])
        run([go, "build", "-trimpath", f"-ldflags={ldflags}", "-o", partial / name, package],
            cwd=component.module_dir, env=env)
    stamp_text = output([go, "version"]).strip()
    (partial / ".built").write_text(stamp_text + "\n")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def module_dir(module: str, version: str) -> Path:
    """Where the Go module cache holds an upstream module's source (downloading it)."""
    import json
    info = json.loads(output([_go(), "mod", "download", "-json", f"{module}@{version}"],
                             cwd=GO_MODULES / "kubernetes"))
    return Path(info["Dir"])


def pause_binary() -> Path:
    """Kubernetes' pause, compiled from the C source in its module, as its own build does."""
    version = versions.PAUSE
    target = paths.cache("bin", f"pause-{version}") / "pause"
    if target.exists():
        return target
    source = module_dir("k8s.io/kubernetes", versions.KUBERNETES) / "build" / "pause" / "linux" / "pause.c"
    run(["gcc", "-Os", "-Wall", "-Werror", "-static", f"-DVERSION=v{version}-osh-live",
         "-o", target.with_suffix(".partial"), source])
    target.with_suffix(".partial").rename(target)
    return target
