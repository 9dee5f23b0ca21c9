"""Fixtures of the nova, placement, neutron and ironic chart tests: a copy of
charts/ with its dependencies built, once per Helm major and session (the
test_b_* modules build their own through conftest_b)."""
from __future__ import annotations

import shutil

import pytest

from tests.charts.conftest import CHARTS, REGION, ChartTree, chart_yaml, release_charts
from tests.charts2.conftest_a import CHARTS_A


@pytest.fixture(scope="session")
def tree_a(helm, tmp_path_factory) -> ChartTree:
    root = tmp_path_factory.mktemp(f"charts-a-helm{helm.major}") / "charts"
    shutil.copytree(CHARTS, root, ignore=shutil.ignore_patterns("*.tgz"))
    order = release_charts(root / REGION)
    missing = [name for name in CHARTS_A if root / name not in order]
    assert not missing, f"the region does not install {missing}"
    for path in order:
        if chart_yaml(path).get("dependencies"):
            helm.run("dependency", "build", str(path))
    return ChartTree(helm, root, order)
