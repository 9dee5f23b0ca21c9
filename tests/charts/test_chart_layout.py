"""Every chart of the region: lints clean with Helm 3 and 4, and is laid out
the way docs/charts.md says (v2, pinned dependencies, a lock, a schema)."""
from __future__ import annotations

import re

import pytest
import yaml

from tests.charts.conftest import CHARTS, REGION, chart_yaml, release_charts, values_in_region

RELEASE_CHARTS = [p.name for p in release_charts(CHARTS / REGION)]
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def test_region_installs_the_infra_charts_keystone_and_the_library():
    assert {"osh-lib", "postgresql", "mariadb", "rabbitmq", "memcached", "keystone",
            "openstack", REGION} <= set(RELEASE_CHARTS)


@pytest.mark.parametrize("name", RELEASE_CHARTS)
def test_chart_passes_helm_lint_strict_with_its_region_values(chart_tree, name, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(values_in_region(name)))
    result = chart_tree.helm.run("lint", "--strict", str(chart_tree.path(name)),
                                 "--namespace", "openstack", "-f", str(values), check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout, result.stdout


@pytest.mark.parametrize("name", RELEASE_CHARTS)
def test_chart_is_apiversion_v2_with_exactly_pinned_locked_dependencies(name):
    meta = chart_yaml(CHARTS / name)
    assert meta["apiVersion"] == "v2"
    deps = meta.get("dependencies") or []
    for dep in deps:
        assert EXACT_VERSION.match(str(dep["version"])), f"{name}: {dep['name']} {dep['version']}"
        assert dep["repository"].startswith("file://../"), dep
    if deps:
        lock = yaml.safe_load((CHARTS / name / "Chart.lock").read_text())
        assert {(d["name"], d["version"]) for d in lock["dependencies"]} == \
               {(d["name"], str(d["version"])) for d in deps}


@pytest.mark.parametrize("name", RELEASE_CHARTS)
def test_chart_has_a_values_schema(name):
    schema = CHARTS / name / "values.schema.json"
    assert schema.is_file(), f"{name} has no values.schema.json"
    assert yaml.safe_load(schema.read_text())["type"] == "object"


@pytest.mark.parametrize("name", RELEASE_CHARTS)
def test_templates_never_generate_random_values(name):
    for template in (CHARTS / name / "templates").glob("*"):
        text = template.read_text()
        for call in ("randAlphaNum", "randAlpha", "randNumeric", "randAscii", "uuidv4",
                     "genPrivateKey", "genSelfSignedCert", "genCA", "now"):
            assert not re.search(rf"\b{call}\b", text), f"{template}: {call}"


def test_service_charts_use_the_library_not_copies_of_it():
    for name in RELEASE_CHARTS:
        if name in ("osh-lib", REGION):
            continue
        deps = {d["name"] for d in chart_yaml(CHARTS / name).get("dependencies") or []}
        assert "osh-lib" in deps, f"{name} does not depend on osh-lib"
    assert chart_yaml(CHARTS / "osh-lib")["type"] == "library"
