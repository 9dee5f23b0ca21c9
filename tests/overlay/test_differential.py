"""The overlay stage gives exactly the objects real `kubectl kustomize` gives.

Each case in cases.py and trees.py runs both ways on the same stream and
kustomization tree; the objects are compared by identity, and their order too
when the kustomization sets sortOptions (without it kustomize sorts and the
stage keeps the stream's order, an intended difference tested in
test_differences.py). A case marked `fails` must fail on both sides.
"""
from __future__ import annotations

import pytest

from postrender.errors import PostRenderError
from tests.conftest import THIRD_PARTY, third_party
from tests.overlay.cases import CASES
from tests.overlay.differential import KUBECTL, KustomizeFailed, engine_list, key, kustomize_list
from tests.overlay.trees import TREES

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")]

ALL = {**CASES, **TREES}
# The nine fixture cases (every field on each third-party stream) need the fixtures.
NAMES = sorted(ALL) + ([] if THIRD_PARTY else third_party())


def _diff(expected: dict, actual: dict) -> str:
    lines = []
    for k in sorted(set(expected) | set(actual), key=str):
        if expected.get(k) != actual.get(k):
            lines.append(f"{k}:\n  kustomize: {expected.get(k)}\n  overlay:   {actual.get(k)}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", NAMES)
def test_overlay_gives_what_kustomize_gives(name, tmp_path):
    case = ALL[name]
    if case.fails:
        with pytest.raises(KustomizeFailed):
            kustomize_list(case, tmp_path / "kustomize")
        with pytest.raises(PostRenderError):
            engine_list(case, tmp_path / "overlay")
        return
    theirs = kustomize_list(case, tmp_path / "kustomize")
    ours = engine_list(case, tmp_path / "overlay")
    expected, actual = {key(o): o for o in theirs}, {key(o): o for o in ours}
    assert len(expected) == len(theirs) and len(actual) == len(ours)
    assert actual == expected, _diff(expected, actual)
    if case.ordered:
        assert [key(o) for o in ours] == [key(o) for o in theirs]
