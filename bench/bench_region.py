#!/usr/bin/env python3
"""europe-example-region at scale: N KVM hypervisors through Helm 3, Helm 4 and osh-postrender.

For each N, a values file gives N KVM hypervisors plus N/10 network nodes and
N/10 volume nodes, each list as one string of hostnames (--entries names, the
form docs/charts.md recommends for large regions) or one mapping per host
(--entries mappings: {hostname, zone}). In one run, each as a fresh process,
best of --repeat (wall time; CPU time and peak RSS from wait4):
  helm3, helm4: helm template of the region, post-renderer-free (pinned Helm)
  postrender:   python -m postrender --region europe-example-region on the
                stream Helm 3 hands a post-renderer (captured with a tee):
                overlay + hot-fix + placement, the full pipeline
  libyaml:      bare yaml.load_all(CSafeLoader) + yaml.dump_all(CSafeDumper)
                on the same stream
and once, the release Helm 4 would store (install --dry-run=client -o json
through the osh-postrender plugin), encoded as its Secrets driver encodes it
(base64 of gzip level 9 of the JSON; the API server's limit is 1 MiB).
Targets (issue 16): helm template + postrender <= 3 s at N = 1,000 and <= 10 s
at N = 5,000; postrender <= 10 % of helm template at every N from 100 to
5,000; peak RSS < 400 MB; one release Secret < 1 MiB at N = 5,000.
The load average is printed before and after each N: the figures mean little
on a busy machine.

Usage: .venv/bin/python bench/bench_region.py [--hypervisors 100 1000 2100 5000] [--repeat 3]
       [--entries names|mappings]
"""
from __future__ import annotations

import argparse
import base64
import gzip
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_stream import BASELINE  # noqa: E402
from bench.process import _compile_package  # noqa: E402
from bench.streams import ROOT  # noqa: E402

REGION = "europe-example-region"
ZONES = ("europe-example-a", "europe-example-b", "europe-example-c")


@dataclass
class Run:
    wall: float   # seconds
    cpu: float    # user + system seconds, children included
    rss: float    # peak MB


def measure(argv: list[str], *, stdin: Path | None = None, stdout: Path | None = None,
            env: dict | None = None) -> Run:
    _compile_package()
    with open(stdin or os.devnull, "rb") as source, \
            open(stdout or os.devnull, "wb") as sink, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=source, stdout=sink, stderr=errors, cwd=ROOT,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(argv[:4])} ... failed:\n"
                             f"{errors.read().decode(errors='replace')[-2000:]}")
    # wait4 reports the process with the children it waited for (osh-postrender's
    # parsing processes): their CPU time is added, and the peak RSS is the largest.
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def best(argv: list[str], repeat: int, **kwargs) -> Run:
    """The fastest of `repeat` runs (wall), with the highest peak RSS seen."""
    runs = [measure(argv, **kwargs) for _ in range(repeat)]
    fastest = min(runs, key=lambda r: r.wall)
    return Run(fastest.wall, min(r.cpu for r in runs), max(r.rss for r in runs))


def helm_binary(major: str) -> str:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_helm.py"), major],
                          check=True, capture_output=True, text=True).stdout.strip()


def helm4_home() -> dict:
    """A private Helm 4 home with the osh-postrender plugin, as tools/render-region keeps it."""
    home = ROOT / ".cache" / "helm-home-4"
    return {"HELM_CONFIG_HOME": str(home / "config"), "HELM_DATA_HOME": str(home / "data"),
            "HELM_CACHE_HOME": str(home / "cache"), "HELM_PLUGINS": str(home / "data" / "plugins"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def hardware_values(count: int, entries: str, network: int | None = None,
                    volumes: int | None = None) -> dict:
    """The region's hardware with `count` KVM hypervisors, and `network` network and
    `volumes` volume nodes (each count // 10 unless given); shares and Ironic
    conductors as the region lists them. tools/live scale installs these too."""
    def nodes(prefix: str, n: int) -> list[str]:
        return [f"{prefix}-{i:04d}" for i in range(1, n + 1)]
    region = yaml.safe_load((ROOT / "charts" / REGION / "values.yaml").read_text())
    hardware = region["global"]["hardware"]
    for key, prefix, n in (("hypervisors", "kvm", count),
                           ("network_agents", "net", count // 10 if network is None else network),
                           ("volumes", "vol", count // 10 if volumes is None else volumes)):
        names = nodes(prefix, max(1, n))
        if entries == "names":
            hardware[key] = [" ".join(names)]
        else:
            hardware[key] = [{"hostname": h, "zone": ZONES[i % len(ZONES)]}
                             for i, h in enumerate(names)]
    return {"global": {"hardware": hardware}}


def release_size(helm4: str, template: list[str]) -> int:
    """len(data.release) of the release Helm 4 would store for this render."""
    argv = [helm4, "install", *template[2:], "--dry-run=client", "-o", "json",
            "--post-renderer", "osh-postrender", f"--post-renderer-args=--region={REGION}"]
    out = subprocess.run(argv, cwd=ROOT, check=True, capture_output=True,
                         env={**os.environ, **helm4_home()}).stdout.rstrip(b"\n")
    return len(base64.b64encode(gzip.compress(out, compresslevel=9)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hypervisors", type=int, nargs="+", default=[100, 1000, 2100, 5000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--entries", choices=("names", "mappings"), default="names")
    args = parser.parse_args()
    helm3, helm4 = helm_binary("3"), helm_binary("4")
    for chart in ("openstack", REGION):
        subprocess.run([helm3, "dependency", "build", f"charts/{chart}"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    env4 = helm4_home()
    if b"osh-postrender" not in subprocess.run([helm4, "plugin", "list"], env={**os.environ, **env4},
                                               capture_output=True, check=True).stdout:
        subprocess.run([helm4, "plugin", "install", str(ROOT)], env={**os.environ, **env4},
                       check=True, stdout=subprocess.DEVNULL)
    print(f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, entries: {args.entries}, "
          f"best of {args.repeat} (wall; cpu = user+sys of that process and its children)")
    print(f"{'N':>5} {'docs':>5} {'MB':>5} {'helm3 s':>8} {'helm4 s':>8} {'post s':>7} "
          f"{'h3+post':>8} {'h4+post':>8} {'post/h3':>8} {'post/h4':>8} {'libyaml s':>9} "
          f"{'post cpu':>8} {'RSS post':>8} {'RSS h3':>7} {'RSS h4':>7} {'release':>9}  load")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        tee = tmp / "tee.sh"
        tee.write_text('#!/bin/sh\ntee "$OSH_BENCH_CAPTURE"\n')
        tee.chmod(0o755)
        for count in args.hypervisors:
            load_before = os.getloadavg()[0]
            values = tmp / f"values-{count}.yaml"
            values.write_text(yaml.safe_dump(hardware_values(count, args.entries), width=1 << 20))
            stream = tmp / f"stream-{count}.yaml"
            template = ["template", "europe", f"charts/{REGION}", "--namespace", "openstack",
                        "-f", f"charts/{REGION}/values.yaml", "-f", str(values)]
            measure([helm3, *template, "--post-renderer", str(tee)],
                    env={"OSH_BENCH_CAPTURE": str(stream)})
            text = stream.read_text()
            docs = sum(1 for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d)
            h3 = best([helm3, *template], args.repeat)
            h4 = best([helm4, *template], args.repeat)
            post = best([sys.executable, "-m", "postrender", "--region", REGION], args.repeat,
                        stdin=stream)
            base = best([sys.executable, "-c", BASELINE], 1, stdin=stream)
            size = release_size(helm4, [helm4, *template])
            load_after = os.getloadavg()[0]
            print(f"{count:>5} {docs:>5} {len(text) / 1e6:>5.1f} {h3.wall:>8.2f} {h4.wall:>8.2f} "
                  f"{post.wall:>7.2f} {h3.wall + post.wall:>8.2f} {h4.wall + post.wall:>8.2f} "
                  f"{post.wall / h3.wall:>8.1%} {post.wall / h4.wall:>8.1%} {base.wall:>9.2f} "
                  f"{post.cpu:>8.2f} {post.rss:>6.0f}MB {h3.rss:>5.0f}MB {h4.rss:>5.0f}MB "
                  f"{size / 1024:>7.0f}KB  {load_before:.1f}->{load_after:.1f}", flush=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"(all children: {usage.ru_utime + usage.ru_stime:.0f} s of CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
