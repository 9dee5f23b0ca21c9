"""`osh-postrender place --nodes FILE`: where may each workload of a stream be scheduled?

Reads manifests on stdin and a node inventory, applies kube-scheduler's hard
rules (scheduler.py) and reports, per workload, the eligible nodes, as a
table or JSON on stdout. Exits 5 when a workload has no eligible node or may
land on a node dedicated to something else. It changes no manifest.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from postrender import podtemplate, stream
from postrender.errors import ExitCode, UsageError
from postrender.placement import scheduler

HELP = "report the nodes each workload may be scheduled on"
DESCRIPTION = """\
Reads manifests on stdin (for example the output of `helm template ...
--post-renderer osh-postrender`) and, for every workload, lists the nodes of
FILE it may be scheduled on, following kube-scheduler: spec.nodeName,
nodeSelector, required node affinity (In, NotIn, Exists, DoesNotExist, Gt,
Lt; terms ORed, expressions ANDed) and taints (NoSchedule and NoExecute
block unless tolerated; PreferNoSchedule does not). DaemonSets get the
tolerations the DaemonSet controller adds, and run one pod on each node
listed; a DaemonSet pinned to hosts by kubernetes.io/hostname (a node group)
must be able to run on every one of them.

A node is dedicated when it carries a NoSchedule or NoExecute taint other
than the node.kubernetes.io/ condition taints; a workload may only use it
when it requires the taint's label (for species=hypervisor:NoSchedule, the
node label species=hypervisor).

With --region/--overlay before `place`, the region's stages run first."""
EPILOG = """\
exit codes: 0 every workload has a node and stays off others' dedicated nodes;
  5 a workload has no eligible node, may land on a node dedicated to others,
    or is a DaemonSet that cannot run on a host it is pinned to;
  2 usage error; 3 FILE or stdin is not what it should be (e.g. not Nodes)

examples:
  kubectl get nodes -o yaml > nodes.yaml
  helm template r charts/europe-example-region --post-renderer osh-postrender \\
      --post-renderer-args=--region=europe-example-region | osh-postrender place --nodes nodes.yaml
  osh-postrender --region europe-example-region place --nodes nodes.yaml -o json < manifests.yaml"""

# Taints the node lifecycle controller sets for conditions; they say nothing about ownership.
CONDITION_TAINT_PREFIXES = ("node.kubernetes.io/", "node.cloudprovider.kubernetes.io/")


def register(subparsers) -> None:
    parser = subparsers.add_parser("place", help=HELP, description=DESCRIPTION, epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", metavar="FILE", required=True, type=Path,
                        help="`kubectl get nodes -o yaml` output, a v1 List of Nodes, "
                             "or a stream of Node objects")
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table",
                        help="table for people (default) or json for programs")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace, channel) -> tuple[str, int]:
    from postrender.placement import inventory  # here: it reads YAML, registering does not

    try:
        data = args.nodes.read_bytes()
    except OSError as err:
        raise UsageError(f"--nodes {args.nodes}: {err.strerror}") from None
    nodes = inventory.nodes(data, str(args.nodes))
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("place reads the manifests on stdin")
    documents = stream.parse(stream.decode(sys.stdin.buffer.read()))
    documents = _region_stages(args, documents, channel)
    report = [assess(doc, spec, nodes) for doc, spec in podtemplate.workloads(documents)]
    failed = [r for r in report if r["problems"]]
    if failed:
        channel.say(f"osh-postrender: place: {len(failed)} of {len(report)} workload(s) "
                    "have placement problems")
    output = (json.dumps({"nodes": [scheduler.node_name(n) for n in nodes], "workloads": report},
                         indent=2) + "\n"
              if args.output == "json" else table(report))
    return output, ExitCode.CHECK if failed else ExitCode.OK


def _region_stages(args, documents, channel):
    """Run the region's stages when --region/--overlay was given, as the render would."""
    from postrender import cli, pipeline  # the CLI imports this module: import late
    from postrender.diagnostics import Diagnostics

    overlay = cli.overlay_dir(args)
    if overlay is None:
        return documents
    diagnostics = Diagnostics()
    documents = pipeline.run(pipeline.build(overlay, stream_name=args.stream_name), documents,
                             diagnostics)
    for finding in diagnostics.findings:
        channel.say(f"osh-postrender: warning: {finding.message}")
    return documents


def dedicated_taints(node: dict) -> list[dict]:
    return [t for t in scheduler.node_taints(node)
            if t.get("effect") in scheduler.BLOCKING_EFFECTS
            and not str(t.get("key", "")).startswith(CONDITION_TAINT_PREFIXES)]


def assess(doc, spec: dict, nodes: list[dict]) -> dict:
    daemonset = doc.kind == "DaemonSet"
    eligible, excluded, trespass = [], {}, {}
    for node in nodes:
        name = scheduler.node_name(node)
        reasons = scheduler.reasons_excluded(spec, node, daemonset=daemonset)
        if reasons:
            excluded[name] = reasons
            continue
        eligible.append(name)
        for taint in dedicated_taints(node):
            key, value = taint.get("key", ""), taint.get("value", "")
            if not scheduler.requires_label(spec, key, value):
                trespass.setdefault(f"{key}={value}" if value else key, []).append(name)
    problems = [] if eligible else ["no eligible node"]
    pinned = scheduler.pinned_hostnames(spec) if daemonset and eligible else None
    if pinned:
        problems += _unreachable_hosts(pinned, eligible, excluded, nodes)
    for owner, names in trespass.items():
        problems.append(f"may land on node(s) dedicated to {owner} without requiring the "
                        f"node label {owner}: {', '.join(names)}")
    return {"document": doc.index + 1 if doc.index is not None else None, "kind": doc.kind,
            "name": doc.name, "namespace": doc.namespace, "file": doc.file,
            "nodes": eligible, "problems": problems, "excluded": excluded}


def _unreachable_hosts(pinned: list[str], eligible: list[str], excluded: dict,
                       nodes: list[dict]) -> list[str]:
    """A DaemonSet runs a pod on each host it is pinned to: name those it cannot."""
    by_hostname: dict[str, list[str]] = {}
    for node in nodes:
        hostname = scheduler.node_labels(node).get(scheduler.HOSTNAME_LABEL)
        if hostname is not None:
            by_hostname.setdefault(hostname, []).append(scheduler.node_name(node))
    ok = set(eligible)
    missing = []
    for hostname in pinned:
        names = by_hostname.get(hostname)
        if not names:
            missing.append(f"{hostname} (no node has {scheduler.HOSTNAME_LABEL}={hostname})")
        elif not ok.intersection(names):
            missing.append(f"{hostname} ({'; '.join(excluded[names[0]])})")
    if not missing:
        return []
    return [f"pinned to {len(missing)} host(s) it cannot run on: {', '.join(missing)}"]


def table(report: list[dict]) -> str:
    rows = [("WORKLOAD", "NODES", "PROBLEMS")]
    for entry in report:
        workload = f"{entry['kind']}/{entry['name']}"
        if entry["namespace"]:
            workload = f"{entry['namespace']}/{workload}"
        nodes = ",".join(entry["nodes"]) or "-"
        rows.append((workload, nodes, "; ".join(entry["problems"]) or "-"))
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{r[0]:<{width[0]}}  {r[1]:<{width[1]}}  {r[2]}".rstrip() for r in rows]
    return "\n".join(lines) + "\n"
