"""tools/live scale: a large region on a real control plane, with nodes simulated by KWOK.

`run` starts a control plane of its own (etcd, kube-apiserver,
kube-controller-manager, kube-scheduler: the live cluster's binaries, on
other ports and in other directories, cluster.SCALE) and KWOK, creates a
Node for each host of the region's hardware lists and the control-plane
nodes (osh_live.fleet), installs the region through `helm install
--post-renderer osh-postrender`, waits until every pod is bound and KWOK
has marked it running, then checks the real bindings (osh_live.bindings)
and `osh-postrender place` against them, and prints the figures. It never
touches the live cluster. `down` stops it and removes its directories.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import yaml

from osh_live import addons, bindings, cluster, daemons, fleet, gobuild, install, network, paths, versions
from osh_live.proc import LiveError, run, say

PLANE = cluster.SCALE
REGION = "europe-example-region"
RELEASE = "europe"
NAMESPACE = "openstack"
# Pod addresses KWOK hands out: room for every pod of a large region.
POD_CIDR = "10.64.0.0/12"
# KWOK renews each node's Lease every quarter of this. A kubelet's 40 s
# would be 5 writes a second for each hundred nodes, more than this shared
# 2-core machine keeps up with at 1,200 nodes (they flapped NotReady): the
# scale test is about placement, not heartbeats.
LEASE_SECONDS = 600
# KWOK's workers for node and pod stages and for Leases (its default: 4 each).
KWOK_PARALLELISM = 16
# KWOK's own node stages, from its module: a node made Ready, then its status
# every 10 minutes beside the Lease. KWOK 0.7.0 picks its defaults the wrong
# way round (cmd/root.go passes `NodeLeaseDurationSeconds == 0` as "with
# lease") and, with Leases on, heartbeats every node's status every 20 s.
KWOK_NODE_STAGES = ("kustomize/stage/node/fast/node-initialize.yaml",
                    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml")
STOP_ORDER = ("kwok",) + cluster.CONTROL_STOP_ORDER
STALLED_AFTER = 120  # seconds without a pod made, bound or run


def add_arguments(parser, name: str) -> None:
    parser.add_argument("action", nargs="?", choices=("run", "down", "status"), default="run",
                        help="run (default): start, install, wait, check; down: stop and "
                             "remove the scale cluster; status: what runs")
    parser.add_argument("--hypervisors", type=int, default=1000, metavar="N")
    parser.add_argument("--network-nodes", type=int, default=100, metavar="N")
    parser.add_argument("--volume-nodes", type=int, default=100, metavar="N")
    parser.add_argument("--control-nodes", type=int, default=5, metavar="N")
    parser.add_argument("--helm", choices=("3", "4"), default="4", help="Helm major version")
    parser.add_argument("--limit", type=float, default=600,
                        help="seconds after helm install returns by which every pod must be bound")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds to wait for every pod after helm install returns")
    parser.add_argument("--controller-qps", type=int, default=100, metavar="QPS",
                        help="the controller manager's API requests a second for each "
                             "controller, burst twice that (Kubernetes' default: 20, burst 30)")
    parser.add_argument("--output", type=Path, help="also write the figures and findings here (JSON)")
    parser.add_argument("--down", action="store_true", help="stop the scale cluster after the run")


def main(args) -> int:
    if args.action == "down":
        return down()
    if args.action == "status":
        return status()
    try:
        return scale_run(args)
    finally:
        if args.down:
            down()


# --- the control plane and KWOK ---------------------------------------------------

def kwok_daemon(binary: Path) -> daemons.Daemon:
    return PLANE.daemon("kwok", (
        str(binary), "--kubeconfig", str(PLANE.kubeconfig()),
        # KWOK's node stages, its default pod stages (pods Running, Job pods
        # Succeeded), more workers; and no file of the user's read.
        "--config", str(PLANE.state / "kwok.yaml"),
        "--manage-nodes-with-annotation-selector", f"{fleet.KWOK_ANNOTATION}=fake",
        "--node-lease-duration-seconds", str(LEASE_SECONDS),
        "--cidr", POD_CIDR,
        # At INFO it logs every Lease renewal and every patch.
        "-v", "WARN"))


def kwok_configuration(stages: list[str]) -> str:
    """KWOK's configuration file: its options, then the node stages' documents."""
    options = json.dumps({
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1", "kind": "KwokConfiguration",
        "options": {"nodePlayStageParallelism": KWOK_PARALLELISM,
                    "podPlayStageParallelism": KWOK_PARALLELISM,
                    "nodeLeaseParallelism": KWOK_PARALLELISM}}, indent=1)
    return "\n---\n".join([options] + [stage.strip() for stage in stages]) + "\n"


def start(controller_qps: int) -> None:
    k8s = gobuild.build(gobuild.KUBERNETES)
    etcd_bin = gobuild.build(gobuild.ETCD)
    kwok_bin = gobuild.build(gobuild.KWOK)
    for directory in (PLANE.state, PLANE.run, PLANE.logs):
        directory.mkdir(parents=True, exist_ok=True)
    certs = cluster.certificates(PLANE, network.host_ip())
    # The controllers' client rate: the DaemonSet controller makes two
    # requests a pod (the pod, its event), so Kubernetes' default of 20 a
    # second alone takes 8 minutes for a region of 1,000 hypervisors.
    plane = dataclasses.replace(PLANE, controller_manager_args=PLANE.controller_manager_args + (
        f"--kube-api-qps={controller_qps}", f"--kube-api-burst={2 * controller_qps}"))
    cluster.start_control_plane(plane, k8s, etcd_bin, certs, network.host_ip())
    source = gobuild.module_dir("sigs.k8s.io/kwok", versions.KWOK)
    stages = [(source / path).read_text() for path in KWOK_NODE_STAGES]
    (PLANE.state / "kwok.yaml").write_text(kwok_configuration(stages))
    daemons.start(kwok_daemon(kwok_bin / "kwok"))


def down() -> int:
    started = time.monotonic()
    for name in STOP_ORDER:
        PLANE.stop(name)
    for pid, _ in processes():
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    for directory in (PLANE.state, PLANE.run):
        shutil.rmtree(directory, ignore_errors=True)
    left = processes()
    if left:
        raise LiveError("scale down left these behind:\n  "
                        + "\n  ".join(f"process {pid}: {text[:120]}" for pid, text in left))
    say(f"scale down in {time.monotonic() - started:.0f} s: no process or directory left")
    return 0


def processes() -> list[tuple[int, str]]:
    """Processes of the scale cluster: those whose command line names its directories."""
    return [(pid, text) for pid, text in cluster.command_lines()
            if text.startswith(str(paths.CACHE / "bin")) and PLANE.owns(text)]


def status() -> int:
    running = 0
    for name in STOP_ORDER[::-1]:
        pid = PLANE.pid_of(name)
        running += bool(pid)
        print(f"{name:24} {'running, pid ' + str(pid) + ', ' + rss(pid) if pid else 'stopped'}")
    if PLANE.pid_of("kube-apiserver"):
        try:
            nodes = PLANE.kubectl("get", "nodes", "--no-headers").splitlines()
            pods = PLANE.kubectl("get", "pods", "-A", "--no-headers",
                                 "-o", "custom-columns=NODE:.spec.nodeName").split()
            print(f"nodes: {len(nodes)}, {sum(' Ready ' in n for n in nodes)} Ready; "
                  f"pods: {len(pods)}, {sum(p != '<none>' for p in pods)} bound")
        except LiveError as error:
            print(f"API server not answering: {error}")
    print(f"kubeconfig: {PLANE.kubeconfig()}" if PLANE.kubeconfig().exists() else "no scale cluster")
    return 0 if running == len(STOP_ORDER) else 3


def memory(pid: int | None) -> tuple[int, int]:
    """(current, peak) resident set size of a process, in bytes."""
    if not pid:
        return 0, 0
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


def rss(pid: int | None) -> str:
    now, peak = memory(pid)
    return f"RSS {now / 2**20:.0f} MiB (peak {peak / 2**20:.0f} MiB)"


def etcd_db_size() -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{PLANE.etcd_port + 2}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("etcd_mvcc_db_total_size_in_bytes "):
                return int(float(line.split()[1]))
    return 0


# --- the run ----------------------------------------------------------------------

def region_values(args) -> dict:
    sys.path.insert(0, str(paths.ROOT))
    from bench.bench_region import hardware_values  # the benchmark's region, at this size
    return hardware_values(args.hypervisors, "names", network=args.network_nodes,
                           volumes=args.volume_nodes)


def kubectl_json(*args: str) -> dict:
    return json.loads(PLANE.kubectl(*args, "-o", "json"))


def create_nodes(nodes: list[dict]) -> None:
    listing = PLANE.state / "nodes.json"
    listing.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": nodes}))
    run([cluster.kubectl_binary(), "--kubeconfig", PLANE.kubeconfig(), "create", "-f", listing],
        quiet=True)


def wait_nodes_ready(count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        lines = PLANE.kubectl("get", "nodes", "--no-headers").splitlines()
        ready = sum(" Ready " in line for line in lines)
        if ready >= count:
            return
        if time.monotonic() > deadline:
            raise LiveError(f"{ready} of {count} nodes Ready after {timeout:.0f} s; "
                            f"KWOK's log: {PLANE.logs / 'kwok.log'}")
        time.sleep(5)


def pod_summary() -> tuple[int, int, int]:
    """(pods, bound, running or completed) in the region's namespace.

    From the API server's own table of pods (-o wide): a few columns a pod,
    where the objects themselves would be some 40 MB at 5,000 pods.
    """
    rows = [line.split() for line in PLANE.kubectl(
        "-n", NAMESPACE, "get", "pods", "-o", "wide", "--no-headers").splitlines()]
    # NAME READY STATUS RESTARTS AGE IP NODE NOMINATED-NODE READINESS-GATES
    bound = sum(len(r) > 6 and r[6] != "<none>" for r in rows)
    done = sum(len(r) > 2 and r[2] in ("Running", "Completed") for r in rows)
    return len(rows), bound, done


def wait_settled(expected: int, deadline: float) -> str:
    """Wait until the release's pods exist, bound and run (KWOK), or nothing moves for a while."""
    last, last_change = None, time.monotonic()
    while True:
        summary = pod_summary()
        pods, bound, done = summary
        if pods >= expected and bound == pods and done == pods:
            return "ready"
        if summary != last:
            say(f"{pods} of {expected} pods made, {bound} bound, {done} running or completed")
            last, last_change = summary, time.monotonic()
        elif time.monotonic() - last_change > STALLED_AFTER:
            return "stalled"
        if time.monotonic() > deadline:
            return "timeout"
        time.sleep(10)


def scale_run(args) -> int:
    figures: dict = {"hypervisors": args.hypervisors, "helm": args.helm,
                     "controller_qps": args.controller_qps,
                     "load_at_start": round(os.getloadavg()[0], 1)}
    started = time.monotonic()
    if any(PLANE.pid_of(n) for n in STOP_ORDER) or PLANE.state.exists():
        say("a scale cluster exists: removing it, so that the run starts clean")
        down()
    start(args.controller_qps)
    figures["control_plane_start_s"] = round(time.monotonic() - started, 1)

    values = region_values(args)
    nodes = fleet.nodes(values["global"]["hardware"], args.control_nodes)
    figures["nodes"] = len(nodes)
    mark = time.monotonic()
    create_nodes(nodes)
    figures["nodes_created_s"] = round(time.monotonic() - mark, 1)
    wait_nodes_ready(len(nodes), 1800)
    figures["nodes_ready_s"] = round(time.monotonic() - mark, 1)
    say(f"{len(nodes)} nodes Ready in {figures['nodes_ready_s']} s")

    PLANE.kubectl("create", "namespace", NAMESPACE)
    pool = json.dumps({"apiVersion": "v1", "kind": "List",
                       "items": addons.volume_objects(PLANE.state / "volumes", create=False)})
    run([cluster.kubectl_binary(), "--kubeconfig", PLANE.kubeconfig(), "create", "-f", "-"],
        input=pool, quiet=True)
    # Pods are refused until the controller manager has made the namespace's account.
    cluster.wait_for("the default service account",
                  lambda: PLANE.kubectl("-n", NAMESPACE, "get", "serviceaccount", "default"),
                  60, PLANE.logs)

    values_file = PLANE.state / "values.yaml"
    values_file.write_text(yaml.safe_dump(values, width=1 << 20))
    helm = install.Helm(args.helm, PLANE.kubeconfig())
    chart = paths.ROOT / "charts" / REGION
    install.build_dependencies(helm, chart)
    overlay = paths.ROOT / "overlays" / REGION
    mark = time.monotonic()
    helm("install", RELEASE, str(chart), "--namespace", NAMESPACE, "-f", str(values_file),
         *helm.post_renderer_args(overlay))
    figures["helm_install_s"] = round(time.monotonic() - mark, 1)
    returned = datetime.now(timezone.utc)
    figures["load_at_helm_return"] = round(os.getloadavg()[0], 1)
    say(f"helm install returned after {figures['helm_install_s']} s")

    manifest = [o for o in yaml.load_all(release_manifest(helm), Loader=yaml.CSafeLoader) if o]
    expected, unknown = bindings.expected_pods(manifest)
    figures["pods_expected"] = expected
    if unknown:
        say(f"not counted (unpinned DaemonSets): {', '.join(unknown)}")
    outcome = wait_settled(expected, time.monotonic() + args.timeout)
    figures["outcome"] = outcome
    figures["settled_s"] = round((datetime.now(timezone.utc) - returned).total_seconds(), 1)
    figures["load_at_settled"] = round(os.getloadavg()[0], 1)

    findings, more = check(helm, returned, args.limit, expected)
    figures |= more
    figures["total_s"] = round(time.monotonic() - started, 1)
    report(figures, findings)
    result = {"figures": figures, "findings": findings}
    (PLANE.state / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    if args.output:
        args.output.write_text(json.dumps(result, indent=1) + "\n")
    return 5 if any(findings.values()) else 0


def check(helm: install.Helm, returned: datetime, limit: float,
          expected: int) -> tuple[dict[str, list[str]], dict]:
    """The checks on the real bindings, the differential against place, and the figures."""
    pods = kubectl_json("-n", NAMESPACE, "get", "pods")["items"]
    nodes = kubectl_json("get", "nodes")["items"]
    daemonsets = kubectl_json("-n", NAMESPACE, "get", "daemonsets")["items"]
    replicasets = kubectl_json("-n", NAMESPACE, "get", "replicasets")["items"]
    owner_of = bindings.owners(pods, replicasets)
    times = [t for t in (bindings.bound_at(p) for p in pods) if t is not None]
    made = sorted(bindings.created_at(p) for p in pods)
    waits = sorted(bindings.scheduling_waits(pods))
    figures = {
        "pods": len(pods), "pods_bound": len(times),
        "pods_by_role": dict(bindings.roles(pods, owner_of)),
        "all_made_after_helm_s": round((made[-1] - returned).total_seconds(), 1) if made else None,
        "all_bound_after_helm_s": round((max(times) - returned).total_seconds(), 1) if times else None,
        # From a pod's creation to its binding: the scheduler's part.
        "scheduling_wait_median_s": waits[len(waits) // 2] if waits else None,
        "scheduling_wait_p99_s": waits[int(len(waits) * 0.99)] if waits else None,
        "scheduling_wait_max_s": waits[-1] if waits else None,
    }
    for name in ("kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager", "kwok"):
        now, peak = memory(PLANE.pid_of(name))
        figures[f"rss_{name}_mib"] = round(now / 2**20)
        figures[f"peak_rss_{name}_mib"] = round(peak / 2**20)
    figures["etcd_db_mib"] = round(etcd_db_size() / 2**20, 1)
    secret = kubectl_json("-n", NAMESPACE, "get", "secret", f"sh.helm.release.v1.{RELEASE}.v1")
    figures["release_secret_bytes"] = len(secret["data"]["release"]) * 3 // 4

    place_report, figures["place_s"] = place(helm)
    findings = {
        "made": [f"{len(pods)} pods, where the release's workloads make {expected}"]
        if len(pods) < expected else [],
        "bound": bindings.unbound(pods),
        "bound_in_time": bindings.late(pods, returned, limit),
        "pinned_hosts": bindings.pinned(pods, nodes, daemonsets, owner_of),
        "species": bindings.species(pods, nodes, owner_of),
        "zone_spread": bindings.zone_spread(pods, nodes, owner_of),
        "place_differential": bindings.against_place(pods, owner_of, place_report),
    }
    return findings, figures


def place(helm: install.Helm) -> tuple[dict, float]:
    """`osh-postrender place --nodes` on `kubectl get nodes -o yaml` and the release's manifest."""
    nodes_file = PLANE.state / "nodes.yaml"
    nodes_file.write_text(PLANE.kubectl("get", "nodes", "-o", "yaml"))
    manifest = PLANE.state / "manifest.yaml"
    manifest.write_text(release_manifest(helm))
    mark = time.monotonic()
    with open(manifest) as stdin:
        result = run([paths.ROOT / ".venv" / "bin" / "osh-postrender", "place", "--nodes", nodes_file,
                      "-o", "json"], capture=True, check=False, stdin=stdin)
    took = round(time.monotonic() - mark, 1)
    if result.returncode not in (0, 5):
        raise LiveError(f"osh-postrender place exited {result.returncode}: {result.stderr[-2000:]}")
    (PLANE.state / "place.json").write_text(result.stdout)
    return json.loads(result.stdout), took


def release_manifest(helm: install.Helm) -> str:
    """The manifest Helm stored for the release (post-rendered), with its hooks."""
    text = helm("get", "manifest", RELEASE, "--namespace", NAMESPACE, capture=True, quiet=True).stdout
    hooks = helm("get", "hooks", RELEASE, "--namespace", NAMESPACE, capture=True, quiet=True).stdout
    return text + ("\n---\n" + hooks if hooks.strip() else "")


def report(figures: dict, findings: dict[str, list[str]]) -> None:
    print("figures:")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    print("checks:")
    for name, found in findings.items():
        print(f"  {name}: {'ok' if not found else f'{len(found)} finding(s)'}")
        for line in found[:20]:
            print(f"    {line}")
        if len(found) > 20:
            print(f"    ... and {len(found) - 20} more (all in {PLANE.state / 'result.json'})")
