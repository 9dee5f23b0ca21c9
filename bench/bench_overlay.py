#!/usr/bin/env python3
"""The overlay stage against real `kubectl kustomize`, at region scale.

Both sides get the same stream (bench.streams.helm4_stream: the third-party
fixtures cycled with unique names) and the same overlay: 10 patches (5
strategic merge by label selector, 5 JSON 6902), 2 images and a region label
set with templates. Each side runs as a fresh process, --repeat times, and
the best wall time counts:
  kustomize:  kubectl kustomize DIR   (DIR: resources: [stream] + the overlay)
  overlay:    python -m postrender --overlay DIR < stream  (parse, stage, emit)
The stage alone (in-process, no parse or emit) is reported too.
Targets (issue 6): overlay >= 10x faster than kustomize at 2,000 documents;
t(10k)/t(1k) <= 12 for the overlay. Skip kustomize on big streams with
--kustomize-max (it is quadratic: minutes at 10,000).

Usage: .venv/bin/python bench/bench_overlay.py [--docs 1000 2000 10000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.process import best  # noqa: E402
from bench.streams import helm4_stream  # noqa: E402

SERVICES = ("keystone", "nova", "neutron", "glance", "cinder")


def kustomization() -> dict:
    patches = []
    for service in SERVICES:
        patches.append({
            "target": {"kind": "Deployment", "labelSelector": f"application={service}"},
            "patch": yaml.safe_dump({
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "any"},
                "spec": {"template": {"metadata": {"annotations": {"region": "europe-example"}},
                                      "spec": {"terminationGracePeriodSeconds": 45}}}})})
        patches.append({
            "target": {"kind": "Service", "labelSelector": f"application={service}"},
            "patch": yaml.safe_dump([{"op": "add", "path": "/spec/publishNotReadyAddresses",
                                      "value": False}])})
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "patches": patches,
        "images": [{"name": "quay.io/airshipit/kubernetes-entrypoint",
                    "newName": "registry.europe-example.cloud/airshipit/kubernetes-entrypoint"},
                   {"name": "quay.io/airshipit/keystone", "newTag": "2026.1-europe"}],
        "labels": [{"pairs": {"openstack-helm.org/region": "europe-example"},
                    "includeTemplates": True}],
    }


def stage_only(stream: Path, overlay: Path, repeat: int) -> float:
    from postrender import stream as stream_io
    from postrender.diagnostics import Diagnostics
    from postrender.overlay import load
    from postrender.overlaydir import OverlayDir

    text = stream.read_text()
    best = float("inf")
    for _ in range(repeat):
        documents = stream_io.parse(text)
        started = time.perf_counter()
        load(OverlayDir(overlay, overlay)).apply(documents, Diagnostics())
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[1000, 2000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kustomize-max", type=int, default=2000,
                        help="run kustomize only up to this many documents (default 2000)")
    args = parser.parse_args()
    kubectl = shutil.which("kubectl")
    print(f"{'docs':>6} {'MB':>5} {'kustomize s':>12} {'overlay s':>10} {'speed-up':>9} "
          f"{'stage s':>8}")
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.docs:
            work = Path(tmp) / str(count)
            overlay = work / "overlay"
            overlay.mkdir(parents=True)
            stream = work / "stream.yaml"
            stream.write_text(helm4_stream(count))
            spec = kustomization()
            (overlay / "kustomization.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
            (work / "kustomization.yaml").write_text(
                yaml.safe_dump({**spec, "resources": ["stream.yaml"]}, sort_keys=False))
            ours, _ = best([sys.executable, "-m", "postrender", "--overlay", str(overlay),
                            "--root", str(work)], args.repeat, stdin=stream)
            times[count] = ours
            stage = stage_only(stream, overlay, args.repeat)
            if kubectl and count <= args.kustomize_max:
                theirs, _ = best([kubectl, "kustomize", str(work)], args.repeat)
                print(f"{count:>6} {stream.stat().st_size / 1e6:>5.1f} {theirs:>12.2f} "
                      f"{ours:>10.2f} {theirs / ours:>8.1f}x {stage:>8.3f}")
            else:
                print(f"{count:>6} {stream.stat().st_size / 1e6:>5.1f} {'-':>12} "
                      f"{ours:>10.2f} {'-':>9} {stage:>8.3f}")
    if 1000 in times and 10000 in times:
        print(f"linearity: t(10k)/t(1k) = {times[10000] / times[1000]:.1f} (target <= 12)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
