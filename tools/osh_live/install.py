"""tools/live install REGION: a region chart on the live cluster, through osh-postrender.

What an operator would run, with the live overlay (overlays/live): its values
file points the charts at the images built here and names the one node in
every hardware list, and its osh-postrender overlay lets that node carry
every species. The node gets the label the overlay selects, the namespace
the Pod Security level its node agents need, then `helm upgrade --install`
runs with the real Helm (4 by default, as a plugin; 3 with the executable on
PATH) and the command waits until every workload is Ready and every Job
Complete, printing what it still waits for.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from osh_live import cluster, containerd, imageload, images, lvm, paths
from osh_live.proc import LiveError, output, run, say

# Charts of the openstack umbrella that `--only` can keep (the rest are disabled).
CHARTS = ("postgresql", "mariadb", "rabbitmq", "memcached", "keystone", "glance", "cinder",
          "manila", "barbican", "designate", "horizon", "placement", "nova", "neutron", "ironic")
LIVE_LABEL = "openstack-helm.org/live"


def add_arguments(parser, name: str) -> None:
    parser.add_argument("region", help="the region chart under charts/ (europe-example-region)")
    parser.add_argument("--release", default="europe")
    parser.add_argument("--namespace", default="openstack")
    parser.add_argument("--only", help="comma-separated charts to install (default: all)")
    parser.add_argument("--helm", choices=("3", "4"), default="4", help="Helm major version")
    parser.add_argument("--values", action="append", default=[], type=Path,
                        help="more values files, after overlays/live/values.yaml")
    parser.add_argument("--overlay", type=Path, default=paths.ROOT / "overlays" / "live")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for Ready")
    parser.add_argument("--no-wait", action="store_true")


class Helm:
    """A pinned Helm with a private home under the project's .cache, set up for the post-renderer."""

    def __init__(self, major: str, kubeconfig: Path | None = None):
        self.major = major
        self.binary = output([str(paths.ROOT / ".venv" / "bin" / "python"),
                              str(paths.ROOT / "tools" / "fetch_helm.py"), major]).strip()
        home = paths.ROOT / ".cache" / f"helm-home-live-{major}"
        self.env = {
            "HELM_CONFIG_HOME": str(home / "config"), "HELM_DATA_HOME": str(home / "data"),
            "HELM_CACHE_HOME": str(home / "cache"), "HELM_PLUGINS": str(home / "data" / "plugins"),
            "KUBECONFIG": str(kubeconfig or cluster.admin_kubeconfig()),
            # Helm 3 finds the post-renderer on PATH; the plugin finds the checkout's venv.
            "PATH": f"{paths.ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
            "OSH_ROOT": str(paths.ROOT),
        }
        if major == "4":
            plugins = output([self.binary, "plugin", "list"], env=self.env)
            if "osh-postrender" not in plugins:
                run([self.binary, "plugin", "install", str(paths.ROOT)], env=self.env, quiet=True)

    def __call__(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return run([self.binary, *args], env=self.env, cwd=paths.ROOT, **kwargs)

    def post_renderer_args(self, overlay: Path) -> list[str]:
        return ["--post-renderer", "osh-postrender", f"--post-renderer-args=--overlay={overlay}"]


def prepare_cluster(namespace: str) -> None:
    cluster.kubectl("label", "node", cluster.NODE, f"{LIVE_LABEL}=true", "--overwrite")
    if run([cluster.kubectl_binary(), "--kubeconfig", cluster.admin_kubeconfig(), "get",
            "namespace", namespace], check=False, quiet=True).returncode != 0:
        cluster.kubectl("create", "namespace", namespace)
    # The region runs privileged node agents (Open vSwitch, libvirt, the L3
    # agent): its namespace admits them; docs/live.md says which need it.
    cluster.kubectl("label", "namespace", namespace, "--overwrite",
                    "pod-security.kubernetes.io/enforce=privileged",
                    "pod-security.kubernetes.io/warn=baseline")
    lvm.ensure_volume_groups()


def build_dependencies(helm: "Helm", chart: Path) -> None:
    """`helm dependency build` of every chart, bottom-up: the service charts,
    the umbrella, then the region `chart`. A service chart's own packed
    osh-lib would otherwise stay as it was when last built, and shadow the
    umbrella's fresh one."""
    umbrella = paths.ROOT / "charts" / "openstack"
    services = sorted(d for d in (paths.ROOT / "charts").iterdir()
                      if d not in (chart, umbrella) and (d / "Chart.yaml").exists()
                      and "dependencies:" in (d / "Chart.yaml").read_text())
    for directory in (*services, umbrella, chart):
        helm("dependency", "build", str(directory), quiet=True)


def install(region: str, *, release: str = "europe", namespace: str = "openstack",
            only: list[str] | None = None, helm_major: str = "4", values: list[Path] = (),
            overlay: Path | None = None, extra: list[str] = ()) -> Helm:
    helm = Helm(helm_major)
    chart = paths.ROOT / "charts" / region
    build_dependencies(helm, chart)
    prepare_cluster(namespace)
    # The charts run images built here and never pulled (pullPolicy Never):
    # containerd gets every built one it lacks; one not built yet fails its
    # pod with ErrImageNeverPull, naming it.
    imageload.load(images.built_refs(), str(containerd.address()))
    overlay = overlay or paths.ROOT / "overlays" / "live"
    args = ["upgrade", "--install", release, str(chart), "--namespace", namespace,
            "-f", str(overlay / "values.yaml")]
    for extra_values in values:
        args += ["-f", str(extra_values)]
    if only:
        unknown = sorted(set(only) - set(CHARTS))
        if unknown:
            raise LiveError(f"--only: unknown charts {', '.join(unknown)} (known: {', '.join(CHARTS)})")
        for name in CHARTS:
            args += ["--set", f"openstack.{name}.enabled={'true' if name in only else 'false'}"]
    helm(*args, *helm.post_renderer_args(overlay), *extra)
    return helm


def main(args) -> int:
    started = time.monotonic()
    only = args.only.split(",") if args.only else None
    install(args.region, release=args.release, namespace=args.namespace, only=only,
            helm_major=args.helm, values=args.values, overlay=args.overlay.resolve())
    if not args.no_wait:
        wait_ready(args.namespace, args.timeout)
        say(f"{args.region} Ready in {time.monotonic() - started:.0f} s")
    return 0


# --- waiting ---------------------------------------------------------------------

def not_ready(namespace: str, plane: cluster.ControlPlane = cluster.LIVE) -> list[str]:
    """What is not yet Ready/Complete in the namespace, one line each (empty: all done)."""
    data = json.loads(plane.kubectl("-n", namespace, "get",
                                    "deployments,statefulsets,daemonsets,jobs", "-o", "json"))
    waiting = []
    for item in data["items"]:
        kind, name, spec, status = item["kind"], item["metadata"]["name"], item["spec"], item.get("status", {})
        if kind in ("Deployment", "StatefulSet"):
            want = spec.get("replicas", 1)
            ready = status.get("readyReplicas", 0)
            updated = status.get("updatedReplicas", 0)
            if ready < want or updated < want or status.get("observedGeneration", 0) < item["metadata"]["generation"]:
                waiting.append(f"{kind}/{name}: {ready}/{want} ready")
        elif kind == "DaemonSet":
            want = status.get("desiredNumberScheduled", 0)
            ready = status.get("numberReady", 0)
            # Until the controller has seen it, a new DaemonSet wants 0 pods.
            if ready < want or status.get("updatedNumberScheduled", 0) < want \
                    or status.get("observedGeneration", 0) < item["metadata"]["generation"]:
                waiting.append(f"{kind}/{name}: {ready}/{want} ready")
        elif kind == "Job":
            done = any(c["type"] == "Complete" and c["status"] == "True" for c in status.get("conditions", []))
            failed = any(c["type"] == "Failed" and c["status"] == "True" for c in status.get("conditions", []))
            if failed:
                waiting.append(f"{kind}/{name}: Failed")
            elif not done:
                waiting.append(f"{kind}/{name}: {status.get('failed', 0)} failed attempts")
    return waiting


def restarts(namespace: str) -> dict[str, int]:
    """{pod/container: restart count} of every container that restarted."""
    data = json.loads(cluster.kubectl("-n", namespace, "get", "pods", "-o", "json"))
    counts = {}
    for pod in data["items"]:
        for status in pod.get("status", {}).get("containerStatuses", []) + \
                pod.get("status", {}).get("initContainerStatuses", []):
            if status.get("restartCount", 0):
                counts[f"{pod['metadata']['name']}/{status['name']}"] = status["restartCount"]
    return counts


def wait_ready(namespace: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while True:
        waiting = not_ready(namespace)
        if not waiting:
            return
        if waiting != last:
            say(f"waiting for {len(waiting)}: " + "; ".join(waiting[:6]) + (" ..." if len(waiting) > 6 else ""))
            last = waiting
        if time.monotonic() > deadline:
            raise LiveError(f"not Ready after {timeout:.0f} s:\n  " + "\n  ".join(waiting)
                            + f"\nrestarts: {restarts(namespace)}")
        time.sleep(5)
