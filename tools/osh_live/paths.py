"""Where the live cluster keeps things, all outside the work tree.

CACHE holds builds keyed by version (binaries, images' inputs, venvs) and
survives `tools/live down`; STATE holds the running cluster (certificates,
etcd data, kubeconfig, logs) and is removed by `down`. The scale test's
control plane (`tools/live scale`) has directories of its own beside them,
so that either can be stopped and removed without touching the other.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The project checkout."""

CACHE = Path(os.environ.get("OSH_LIVE_CACHE")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "osh-live")
STATE = Path(os.environ.get("OSH_LIVE_STATE") or "/var/lib/osh-live")
RUN = Path(os.environ.get("OSH_LIVE_RUN") or "/run/osh-live")
LOGS = STATE / "logs"
SCALE_STATE = Path(os.environ.get("OSH_LIVE_SCALE_STATE") or f"{STATE}-scale")
SCALE_RUN = Path(os.environ.get("OSH_LIVE_SCALE_RUN") or f"{RUN}-scale")


def cache(*parts: str) -> Path:
    path = CACHE.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_config(path: Path, text: str) -> Path:
    """Write a daemon's configuration file only when its content changes.

    kube-proxy exits as soon as its configuration file is rewritten, even
    with the same content, so `up` on a running cluster must leave it be.
    """
    try:
        if path.read_text() == text:
            return path
    except OSError:
        pass
    path.write_text(text)
    return path
