#!/usr/bin/env python3
"""Cost of the hot-fix stage: loading (validating) patches, and applying to a stream.

A scratch project gets --patches patch files per component (nova, neutron),
each a real unified diff of --lines added lines; the stream holds --docs
Deployments, half labelled nova and half neutron, all on Kolla images, so
every workload gets the init container and is re-serialised (the worst case).
Reported, best of --repeat: hotfix.load (unidiff validation of every patch),
stage.apply on the parsed stream, and emit of the result.

Usage: .venv/bin/python bench/bench_hotfix.py [--docs 2000] [--patches 50] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from postrender import hotfix, stream  # noqa: E402
from postrender.diagnostics import Diagnostics  # noqa: E402
from postrender.overlaydir import OverlayDir  # noqa: E402

DEPLOYMENT = """\
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {component}-{i}
  labels: {{app.kubernetes.io/name: {component}, app.kubernetes.io/instance: r}}
spec:
  selector: {{matchLabels: {{app.kubernetes.io/name: {component}, idx: "{i}"}}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: {component}, idx: "{i}"}}
    spec:
      containers:
        - name: main
          image: quay.io/openstack.kolla/{component}-api:2025.1-ubuntu-noble
"""


def diff(path: str, lines: int) -> str:
    added = "".join(f"+    value_{i} = {i}\n" for i in range(lines))
    return f"--- a/{path}\n+++ b/{path}\n@@ -1,1 +1,{lines + 1} @@\n context\n{added}"


def best(repeat: int, fn):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--patches", type=int, default=50)
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for component in ("nova", "neutron"):
            directory = root / "patches" / component
            directory.mkdir(parents=True)
            for i in range(args.patches):
                (directory / f"{i:04d}-fix.patch").write_text(
                    diff(f"{component}/module_{i}.py", args.lines))
        overlay = root / "overlays" / "bench"
        overlay.mkdir(parents=True)
        (overlay / "hotfix.yaml").write_text("patchDirs: [../../patches]\n")
        text = "".join(DEPLOYMENT.format(component=("nova", "neutron")[i % 2], i=i)
                       for i in range(args.docs))
        load_s, stage = best(args.repeat, lambda: hotfix.load(OverlayDir(overlay, root)))

        def apply():
            docs = stream.parse(text)
            start = time.perf_counter()
            out = stage.apply(docs, Diagnostics())
            return time.perf_counter() - start, out

        apply_s = min(apply()[0] for _ in range(args.repeat))
        _, docs = apply()
        emit_s, _ = best(args.repeat, lambda: stream.emit(docs))
    print(f"hotfix.load   {2 * args.patches} patches x {args.lines} lines: {load_s * 1000:8.1f} ms")
    print(f"stage.apply   {args.docs} workloads:            {apply_s * 1000:8.1f} ms")
    print(f"stream.emit   {len(docs)} documents:            {emit_s * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
