"""The overlay stage gives exactly the objects real `kubectl kustomize` gives.

Each case in cases.py runs both ways on the same stream and kustomization;
the objects are compared by identity (kustomize reorders by kind, which is an
intended difference tested in test_differences.py).
"""
from __future__ import annotations

import pytest

from tests.overlay.cases import CASES
from tests.overlay.differential import KUBECTL, engine, kustomize

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")]


def _diff(expected: dict, actual: dict) -> str:
    lines = []
    for key in sorted(set(expected) | set(actual), key=str):
        if expected.get(key) != actual.get(key):
            lines.append(f"{key}:\n  kustomize: {expected.get(key)}\n  overlay:   {actual.get(key)}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", sorted(CASES))
def test_overlay_gives_what_kustomize_gives(name, tmp_path):
    case = CASES[name]
    expected = kustomize(case, tmp_path / "kustomize")
    actual = engine(case, tmp_path / "overlay")
    assert actual == expected, _diff(expected, actual)
