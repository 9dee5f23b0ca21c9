"""Timing one command as a fresh process: wall time and peak RSS, the same way in every benchmark."""
from __future__ import annotations

import compileall
import functools
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.streams import ROOT


@functools.cache
def _compile_package() -> None:
    """Bytecode for the package, as an install or tools/setup writes it: where
    PYTHONDONTWRITEBYTECODE is set, each timed run would otherwise compile
    every module from source."""
    compileall.compile_dir(ROOT / "postrender", quiet=1)


def run(argv: list[str], *, stdin: Path | None = None, env: dict | None = None,
        timeout: float | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one run; TimeoutError past `timeout`.

    stdout is discarded; stderr is kept aside and shown only if the run fails.
    """
    _compile_package()
    with open(stdin or os.devnull, "rb") as source, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=source, stdout=subprocess.DEVNULL, stderr=errors,
                                cwd=ROOT, env={**os.environ, **(env or {})})
        if timeout is None:
            _, status, usage = os.wait4(proc.pid, 0)
        else:
            deadline = started + timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    proc.kill()
                    os.wait4(proc.pid, 0)
                    raise TimeoutError
                time.sleep(0.01)
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(argv[:4])} ... failed:\n"
                             f"{errors.read().decode(errors='replace')[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def best(argv: list[str], repeat: int, **kwargs) -> tuple[float, float]:
    """(best wall seconds, highest peak RSS in MB) over `repeat` runs."""
    results = [run(argv, **kwargs) for _ in range(repeat)]
    return min(r[0] for r in results), max(r[1] for r in results)
