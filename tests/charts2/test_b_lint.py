"""helm lint --strict is clean for the glance, cinder, manila, barbican,
designate and horizon charts with the values they get inside the region, with
Helm 3 and Helm 4, and each chart keeps the layout docs/charts.md asks for."""
from __future__ import annotations

import pytest
import yaml

from tests.charts.conftest import CHARTS, built_chart_tree, chart_yaml, values_in_region
from tests.charts2.conftest_b import REGION, SERVICES, of_service


@pytest.fixture(scope="module")
def tree(helm, tmp_path_factory):
    return built_chart_tree(helm, tmp_path_factory)


@pytest.mark.parametrize("name", SERVICES)
def test_chart_lints_strict_with_its_region_values(tree, name, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(values_in_region(name)))
    result = tree.helm.run("lint", "--strict", str(tree.path(name)), "--namespace", "openstack",
                           "-f", str(values), check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout, result.stdout


@pytest.mark.parametrize("name", SERVICES)
def test_chart_is_a_dependency_of_openstack_switched_by_its_enabled_value(name):
    deps = {d["name"]: d for d in chart_yaml(CHARTS / "openstack")["dependencies"]}
    assert deps[name]["condition"] == f"{name}.enabled"
    assert deps[name]["repository"] == f"file://../{name}"
    assert yaml.safe_load((CHARTS / "openstack" / "values.yaml").read_text())[name] == \
        {"enabled": True}
    meta = chart_yaml(CHARTS / name)
    assert meta["dependencies"] == [{"name": "osh-lib", "version": "0.1.0",
                                     "repository": "file://../osh-lib"}]
    assert (CHARTS / name / "Chart.lock").is_file()
    assert (CHARTS / name / "values.schema.json").is_file()


def test_disabling_a_service_removes_all_of_its_objects(tree):
    objects = tree.render(REGION, "--set", "openstack.designate.enabled=false")
    assert of_service(objects, "designate") == []
    assert of_service(objects, "glance")
