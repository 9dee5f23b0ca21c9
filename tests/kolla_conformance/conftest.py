"""The rendered region for the Kolla conformance tests: europe-example-region
through osh-postrender with Helm 4, as tools/render-region renders it, once
per session; and the region with the live cluster's values
(overlays/live/values.yaml), whose options add containers of their own."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.charts.conftest import REGION, built_chart_tree
from tests.kolla_conformance.pods import Region


def load(text: str) -> list[dict]:
    # The C loader: the pure-Python one takes some 10 s over the region.
    return [d for d in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if d]


@pytest.fixture(scope="session")
def region(helm4, tmp_path_factory) -> Region:
    tree = built_chart_tree(helm4, tmp_path_factory)
    return Region(load(tree.rendered(REGION, *helm4.post_renderer_args(f"--region={REGION}"))))


LIVE_VALUES = Path(__file__).resolve().parents[2] / "overlays" / "live" / "values.yaml"


@pytest.fixture(scope="session")
def live_region(helm4, tmp_path_factory) -> Region:
    tree = built_chart_tree(helm4, tmp_path_factory)
    return Region(load(tree.rendered(REGION, "-f", str(LIVE_VALUES),
                                     *helm4.post_renderer_args(f"--region={REGION}"))))
