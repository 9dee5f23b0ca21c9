"""The live suite: tests on the running live cluster (`tools/live test`).

Collected only when tools/live runs it (OSH_LIVE_KUBECONFIG is set): the fast
suite, tools/test, never needs a cluster.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

if not os.environ.get("OSH_LIVE_KUBECONFIG"):
    collect_ignore_glob = ["test_*.py"]

ROOT = Path(__file__).resolve().parents[2]


class Kube:
    """kubectl against the live cluster, with JSON results."""

    def __init__(self):
        self.kubectl = os.environ.get("OSH_LIVE_KUBECTL", "kubectl")
        self.kubeconfig = os.environ.get("OSH_LIVE_KUBECONFIG", "")

    def run(self, *args: str, input: str | None = None, check: bool = True,
            timeout: float = 300) -> subprocess.CompletedProcess:
        result = subprocess.run([self.kubectl, "--kubeconfig", self.kubeconfig, *args],
                                input=input, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {result.returncode}:\n"
                                 f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        return result

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def apply(self, objects: list[dict]) -> None:
        self.run("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                       "items": objects}))

    def wait_for(self, predicate, what: str, timeout: float = 300, interval: float = 2):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = predicate()
                if last:
                    return last
            except AssertionError as error:
                last = error
            time.sleep(interval)
        raise AssertionError(f"{what}: not after {timeout:.0f} s (last: {last})")


@pytest.fixture(scope="session")
def kube() -> Kube:
    return Kube()


@pytest.fixture
def namespace(kube):
    """A fresh namespace, deleted after the test."""
    name = f"live-{uuid.uuid4().hex[:8]}"
    kube.run("create", "namespace", name)
    yield name
    kube.run("delete", "namespace", name, "--wait=false", check=False)
