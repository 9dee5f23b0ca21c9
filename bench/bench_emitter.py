#!/usr/bin/env python3
"""Re-dumping every document: PyYAML's dumper against the direct emitter.

Both sides dump the same parsed objects in the same process, alternating,
best of --repeat; the emitter's caches are emptied before each of its rounds,
as in a fresh post-renderer process. Streams: the synthetic Helm 4 stream
(bench/streams.py) and any extra files given with --stream.
Target (emitter issue): the emitter at least 3x faster than PyYAML.

Usage: .venv/bin/python bench/bench_emitter.py [--docs 10000] [--repeat 3]
                                               [--stream /tmp/stream1000.yaml]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.streams import helm4_stream  # noqa: E402
from postrender import emitter, yamlio  # noqa: E402


def _time(dump, objects: list, repeat: int, before=None) -> float:
    best = float("inf")
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        for obj in objects:
            dump(obj)
        best = min(best, time.perf_counter() - started)
    return best


def _empty_caches() -> None:
    emitter._scalars.clear()
    emitter._keys.clear()


def measure(label: str, text: str, repeat: int) -> None:
    objects = [obj for obj in yaml.load_all(text, Loader=yamlio.Loader) if obj is not None]
    pyyaml = emitter_s = float("inf")
    for _ in range(repeat):  # alternate, so both sides see the same machine load
        pyyaml = min(pyyaml, _time(yamlio.dump_pyyaml, objects, 1))
        emitter_s = min(emitter_s, _time(yamlio.dump, objects, 1, _empty_caches))
    same = sum(yamlio.dump(obj) == yamlio.dump_pyyaml(obj) for obj in objects)
    print(f"{label:<28} {len(objects):>6} {len(text) / 1e6:>6.1f} {pyyaml:>9.3f} "
          f"{emitter_s:>10.3f} {pyyaml / emitter_s:>7.1f}x {same:>6}/{len(objects)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stream", type=Path, action="append", default=[])
    args = parser.parse_args()
    print(f"{'stream':<28} {'docs':>6} {'MB':>6} {'PyYAML s':>9} {'emitter s':>10} "
          f"{'speedup':>8} {'same text':>11}")
    measure(f"helm4_stream({args.docs})", helm4_stream(args.docs), args.repeat)
    for path in args.stream:
        if path.exists():
            measure(str(path), path.read_text(), args.repeat)
        else:
            print(f"{path}: not found, skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
