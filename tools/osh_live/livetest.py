"""tools/live test [PYTEST ARGS]: the live suite, tests/live, on the running cluster.

It brings the cluster up first (a no-op when it runs), then runs pytest with
the cluster's kubeconfig and kubectl in the environment; tests/live is
collected only then, so the fast suite (tools/test) never needs a cluster.
"""
from __future__ import annotations

import os
import subprocess
import sys

from osh_live import cluster, paths


def add_arguments(parser, name: str) -> None:
    parser.add_argument("--no-up", action="store_true", help="do not run `up` first")


def main(args) -> int:
    if not args.no_up:
        cluster.up(type("Args", (), {"no_wait": False})())
    env = {
        **os.environ,
        "OSH_LIVE_KUBECONFIG": str(cluster.admin_kubeconfig()),
        "OSH_LIVE_KUBECTL": str(cluster.kubectl_binary()),
        "KUBECONFIG": str(cluster.admin_kubeconfig()),
    }
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/live", *args.rest]
    return subprocess.run(argv, cwd=paths.ROOT, env=env).returncode
