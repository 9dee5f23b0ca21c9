#!/usr/bin/env python3
"""europe-example-region at scale: N KVM hypervisors through Helm and osh-postrender.

For each N, a values file gives N KVM hypervisors plus N/10 network nodes and
N/10 volume nodes. The benchmark then measures, each as a fresh process, best
of --repeat (peak RSS from wait4):
  helm:       helm template (Helm 3, pinned) of the region, post-renderer-free
  postrender: python -m postrender --region europe-example-region < stream
              (overlay + hot-fix + placement: the full pipeline)
  libyaml:    bare yaml.load_all(CSafeLoader) + yaml.dump_all(CSafeDumper)
  kustomize:  kubectl kustomize on the stream with the region's kustomization
              (the overlay part only; skipped past --kustomize-timeout seconds)
The stream is what Helm 3 hands a post-renderer, captured with a tee.
Targets (issue 8): postrender <= 1.5x libyaml; postrender <= 25% of helm
template; peak RSS <= 400 MB at 10,000 documents.

Usage: .venv/bin/python bench/bench_region.py [--hypervisors 100 1000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_stream import BASELINE  # noqa: E402
from bench.process import best, run  # noqa: E402
from bench.streams import ROOT  # noqa: E402

REGION = "europe-example-region"
ZONES = ("europe-example-a", "europe-example-b", "europe-example-c")


def helm_binary() -> str:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_helm.py"), "3"],
                          check=True, capture_output=True, text=True).stdout.strip()


def hardware_values(count: int) -> dict:
    def nodes(prefix: str, n: int) -> list[dict]:
        return [{"hostname": f"{prefix}-{i:04d}", "zone": ZONES[i % len(ZONES)]}
                for i in range(1, n + 1)]
    region = yaml.safe_load((ROOT / "charts" / REGION / "values.yaml").read_text())
    hardware = region["global"]["hardware"]
    hardware["hypervisors"] = [{**n, "kind": "kvm"} for n in nodes("kvm", count)]
    hardware["network_agents"] = nodes("net", max(1, count // 10))
    hardware["volumes"] = nodes("vol", max(1, count // 10))
    return {"global": {"hardware": hardware}}


def kustomize_dir(tmp: Path, stream: Path) -> Path:
    """The region's kustomization with the Helm stream as its first resource."""
    overlay = ROOT / "overlays" / REGION
    target = tmp / f"kustomize-{stream.stem}"
    shutil.copytree(overlay, target, ignore=shutil.ignore_patterns("placement.yaml", "hotfix.yaml",
                                                                   "patches"))
    shutil.copy(stream, target / "stream.yaml")
    kustomization = yaml.safe_load((target / "kustomization.yaml").read_text())
    kustomization["resources"] = ["stream.yaml", *kustomization.get("resources", [])]
    (target / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False))
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hypervisors", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kustomize-timeout", type=float, default=60.0)
    args = parser.parse_args()
    helm = helm_binary()
    for chart in ("openstack", REGION):
        subprocess.run([helm, "dependency", "build", f"charts/{chart}"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    kubectl = shutil.which("kubectl")
    print(f"{'N':>5} {'docs':>6} {'MB':>5} {'helm s':>7} {'post s':>7} {'post/helm':>9} "
          f"{'libyaml s':>9} {'post/libyaml':>12} {'kustomize s':>11} {'kust/post':>9} "
          f"{'post RSS':>8}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        tee = tmp / "tee.sh"
        tee.write_text('#!/bin/sh\ntee "$OSH_BENCH_CAPTURE"\n')
        tee.chmod(0o755)
        for count in args.hypervisors:
            values = tmp / f"values-{count}.yaml"
            values.write_text(yaml.safe_dump(hardware_values(count)))
            stream = tmp / f"stream-{count}.yaml"
            template = [helm, "template", "europe", f"charts/{REGION}", "--namespace",
                        "openstack", "-f", f"charts/{REGION}/values.yaml", "-f", str(values)]
            run(template + ["--post-renderer", str(tee)], env={"OSH_BENCH_CAPTURE": str(stream)})
            docs = sum(1 for d in yaml.load_all(stream.read_text(), Loader=yaml.CSafeLoader) if d)
            helm_t, _ = best(template, args.repeat)
            post_t, post_rss = best([sys.executable, "-m", "postrender", "--region", REGION],
                                    args.repeat, stdin=stream)
            base_t, _ = best([sys.executable, "-c", BASELINE], args.repeat, stdin=stream)
            kust = "-"
            if kubectl:
                try:
                    kust_t, _ = run([kubectl, "kustomize", str(kustomize_dir(tmp, stream))],
                                    timeout=args.kustomize_timeout)
                    kust = f"{kust_t:.2f}"
                    ratio = f"{kust_t / post_t:.1f}"
                except TimeoutError:
                    kust, ratio = f">{args.kustomize_timeout:.0f}", "skipped"
            print(f"{count:>5} {docs:>6} {stream.stat().st_size / 1e6:>5.1f} {helm_t:>7.2f} "
                  f"{post_t:>7.2f} {post_t / helm_t:>8.0%} {base_t:>9.2f} {post_t / base_t:>12.2f} "
                  f"{kust:>11} {ratio:>9} {post_rss:>6.0f}MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
