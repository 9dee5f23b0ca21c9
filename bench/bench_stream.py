#!/usr/bin/env python3
"""Pass-through cost of osh-postrender against bare libyaml, at region scale.

Both sides run as fresh processes on the same stream in the same run:
  baseline:  python -c 'yaml.load_all(CSafeLoader) + yaml.dump_all(CSafeDumper)'
  filter:    python -m postrender   (no region: parse, validate, emit)
Each is run --repeat times; the best wall time and the peak RSS are reported.
Target (issue 2): filter <= 1.2x baseline at 10,000 documents, peak RSS <= 400 MB.

Usage: .venv/bin/python bench/bench_stream.py [--docs 10000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.process import best  # noqa: E402
from bench.streams import helm4_stream  # noqa: E402

BASELINE = (
    "import sys, yaml\n"
    "docs = list(yaml.load_all(sys.stdin.buffer.read(), Loader=yaml.CSafeLoader))\n"
    "sys.stdout.write(yaml.dump_all(docs, Dumper=yaml.CSafeDumper))\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'docs':>6} {'MB':>6} {'libyaml s':>10} {'filter s':>9} {'ratio':>6} "
          f"{'libyaml RSS':>12} {'filter RSS':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.docs:
            stream = Path(tmp) / f"stream-{count}.yaml"
            stream.write_text(helm4_stream(count))
            size = stream.stat().st_size / 1e6
            base_t, base_rss = best([sys.executable, "-c", BASELINE], args.repeat, stdin=stream)
            ours_t, ours_rss = best([sys.executable, "-m", "postrender"], args.repeat, stdin=stream)
            print(f"{count:>6} {size:>6.1f} {base_t:>10.2f} {ours_t:>9.2f} "
                  f"{ours_t / base_t:>6.2f} {base_rss:>10.0f}MB {ours_rss:>9.0f}MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
