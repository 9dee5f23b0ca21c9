"""Fixtures of the nova, placement, neutron and ironic chart tests: a copy of
charts/ with its dependencies built, once per Helm major and session (the
test_b_* modules build their own through conftest_b)."""
from __future__ import annotations

import pytest

from tests.charts.conftest import ChartTree, built_chart_tree
from tests.charts2.conftest_a import CHARTS_A


@pytest.fixture(scope="session")
def tree_a(helm, tmp_path_factory) -> ChartTree:
    tree = built_chart_tree(helm, tmp_path_factory)
    missing = [name for name in CHARTS_A if tree.path(name) not in tree.charts]
    assert not missing, f"the region does not install {missing}"
    return tree
