"""The project's own region passes osh-postrender --check with no finding at all."""
from __future__ import annotations

import pytest
import yaml

from tests.charts.conftest import REGION, documents

pytestmark = pytest.mark.e2e


def test_region_passes_check_with_no_finding(chart_tree, tmp_path):
    log = tmp_path / "postrender.log"
    result = chart_tree.helm.run(
        "template", "europe", str(chart_tree.path(REGION)), "--namespace", "openstack",
        *chart_tree.helm.post_renderer_args(f"--region={REGION}", "--check"),
        env={"OSH_POSTRENDER_LOG": str(log)})
    assert documents(result.stdout)
    # The log gets an entry only when there is something to say.
    assert not log.exists(), log.read_text()


def test_check_catches_an_image_outside_the_region_registry(chart_tree, tmp_path):
    log = tmp_path / "postrender.log"
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"global": {"image": {"tag": "latest"}}}))
    result = chart_tree.helm.run(
        "template", "europe", str(chart_tree.path(REGION)), "--namespace", "openstack",
        "-f", str(values), *chart_tree.helm.post_renderer_args(f"--region={REGION}", "--check"),
        env={"OSH_POSTRENDER_LOG": str(log)}, check=False)
    assert result.returncode != 0
    assert "uses the latest tag" in log.read_text()
