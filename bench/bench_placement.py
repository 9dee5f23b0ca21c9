#!/usr/bin/env python3
"""Cost of the placement stage over the pass-through pipeline, at region scale.

Both sides run as fresh processes on the same synthetic Helm 4 stream
(bench/streams.py) in the same run, alternating, best of --repeat:
  pass-through:  python -m postrender                       (parse, validate, emit)
  placement:     python -m postrender --overlay <copy>      (the region's placement.yaml
                 and the base policy it includes, nothing else of the region)
Every workload of the stream is placed (the default rule matches all), so
each one is re-serialised: the worst case for the emitter.
It then times the same work in one process (parse+emit vs. the stage alone),
which is steadier on a busy machine.
Target (issue 4): placement adds <= 10% at 10,000 documents.

Usage: .venv/bin/python bench/bench_placement.py [--docs 10000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.process import run  # noqa: E402
from bench.streams import ROOT, helm4_stream  # noqa: E402

REGION = "europe-example-region"


def placement_only_root(tmp: Path) -> Path:
    """A project root holding only the region's placement.yaml and the base policy."""
    root = tmp / "root"
    (root / "overlays" / REGION).mkdir(parents=True)
    shutil.copy(ROOT / "overlays" / REGION / "placement.yaml", root / "overlays" / REGION)
    shutil.copytree(ROOT / "placement", root / "placement")
    return root


def in_process(text: str, root: Path, repeat: int) -> tuple[float, float]:
    """(best parse+emit seconds, best placement stage seconds) without process start-up."""
    from postrender import placement, stream
    from postrender.diagnostics import Diagnostics
    from postrender.overlaydir import OverlayDir

    stage = placement.load(OverlayDir(root / "overlays" / REGION, root))
    base, ours = float("inf"), float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        documents = stream.parse(text)
        stream.emit(documents)
        base = min(base, time.perf_counter() - started)
        started = time.perf_counter()
        stage.apply(documents, Diagnostics())
        ours = min(ours, time.perf_counter() - started)
    return base, ours


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'docs':>6} {'workloads':>9} {'pass-through s':>14} {'placement s':>11} {'added':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        root = placement_only_root(Path(tmp))
        passthrough = [sys.executable, "-m", "postrender"]
        placed = [*passthrough, "--root", str(root), "--overlay",
                  str(root / "overlays" / REGION)]
        for count in args.docs:
            stream = Path(tmp) / f"stream-{count}.yaml"
            text = helm4_stream(count)
            stream.write_text(text)
            workloads = sum(text.count(f"\nkind: {k}\n") for k in (
                "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"))
            base, ours = float("inf"), float("inf")
            for _ in range(args.repeat):
                base = min(base, run(passthrough, stdin=stream)[0])
                ours = min(ours, run(placed, stdin=stream)[0])
            print(f"{count:>6} {workloads:>9} {base:>14.2f} {ours:>11.2f} "
                  f"{(ours / base - 1) * 100:>6.1f}%   (processes)")
            base, stage = in_process(text, root, args.repeat)
            print(f"{count:>6} {workloads:>9} {base:>14.2f} {base + stage:>11.2f} "
                  f"{stage / base * 100:>6.1f}%   (in process: stage {stage:.3f} s)")
    return 0


if __name__ == "__main__":
    os.environ.pop("OSH_POSTRENDER_VERIFY_TOUCH", None)
    sys.exit(main())
