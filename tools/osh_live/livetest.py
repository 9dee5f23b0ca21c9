"""tools/live test [PYTEST ARGS]: the live suite, tests/live, on the running cluster.

It brings the cluster up first (a no-op when it runs), then runs pytest with
the cluster's kubeconfig and kubectl in the environment; tests/live is
collected only then, so the fast suite (tools/test) never needs a cluster.
"""
from __future__ import annotations

import os
import subprocess
import sys

from osh_live import addons, baseimage, cluster, containerd, imageload, kollaconfig, paths


def add_arguments(parser, name: str) -> None:
    parser.add_argument("--no-up", action="store_true", help="do not run `up` first")


def main(args) -> int:
    if not args.no_up:
        cluster.up(type("Args", (), {"no_wait": False})())
    # What the suite's own pods run: the base image (a shell), CoreDNS (a
    # server), and Kolla's keystone and kolla-toolbox for the small chart.
    test_images = [baseimage.REF, addons.COREDNS_IMAGE,
                   kollaconfig.ref("keystone"), kollaconfig.ref("kolla-toolbox")]
    imageload.load(test_images, str(containerd.address()))
    env = {
        **os.environ,
        "OSH_LIVE_SHELL_IMAGE": baseimage.REF,
        "OSH_LIVE_SERVER_IMAGE": addons.COREDNS_IMAGE,
        "OSH_LIVE_KUBECONFIG": str(cluster.admin_kubeconfig()),
        "OSH_LIVE_KUBECTL": str(cluster.kubectl_binary()),
        "KUBECONFIG": str(cluster.admin_kubeconfig()),
    }
    # Paths given select tests inside the live suite; none means all of it.
    paths_given = any(arg.startswith("tests/live") for arg in args.rest)
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
            *([] if paths_given else ["tests/live"]), *args.rest]
    return subprocess.run(argv, cwd=paths.ROOT, env=env).returncode
