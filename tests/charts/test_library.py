"""The osh-lib helpers, called from a probe chart with real Helm: URLs with
percent-encoded credentials that decode back, images from globals, Job names
that follow their inputs, and no helper that changes .Values."""
from __future__ import annotations

import shutil
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from tests.charts.conftest import documents

PROBE = __import__("pathlib").Path(__file__).parent / "lib-probe"
NASTY = "p@ss w/rd:+%#?&é'\""


@pytest.fixture(scope="session")
def probe(chart_tree, tmp_path_factory):
    path = tmp_path_factory.mktemp(f"probe{chart_tree.helm.major}") / "lib-probe"
    shutil.copytree(PROBE, path, ignore=shutil.ignore_patterns("charts"))
    meta = yaml.safe_load((path / "Chart.yaml").read_text())
    meta["dependencies"][0]["repository"] = f"file://{chart_tree.path('osh-lib')}"
    (path / "Chart.yaml").write_text(yaml.safe_dump(meta))
    chart_tree.helm.run("dependency", "build", str(path))

    def render(values: dict, check: bool = True):
        file = path.parent / "values.yaml"
        file.write_text(yaml.safe_dump(values))
        result = chart_tree.helm.run("template", "r", str(path), "--namespace", "ns",
                                     "-f", str(file), check=check)
        return documents(result.stdout)[0]["data"] if check else result
    render.chart = path
    return render


GLOBALS = {"global": {"region": {"name": "R1", "domain": "cloud.example.org"},
                      "database": {"nova": {"engine": "postgresql", "password": NASTY}},
                      "rabbitmq": {"users": {"nova": {"password": NASTY}}},
                      "upstream_image": {"tags": {"postgres": "17.6"}}}}


def test_database_url_percent_encodes_the_password_so_it_decodes_back(probe):
    url = urlsplit(probe(GLOBALS)["database-url"])
    assert url.scheme == "postgresql+psycopg2"
    assert (url.username, unquote(url.password)) == ("nova", NASTY)
    assert (url.hostname, url.port, url.path) == ("postgresql.ns.svc", 5432, "/nova")


def test_database_url_for_mariadb_uses_pymysql_and_utf8mb4(probe):
    values = yaml.safe_load(yaml.safe_dump(GLOBALS))
    values["global"]["database"]["nova"]["engine"] = "mariadb"
    url = urlsplit(probe(values)["database-url"])
    assert (url.scheme, url.hostname, url.port, url.query) == \
           ("mysql+pymysql", "mariadb.ns.svc", 3306, "charset=utf8mb4")
    assert unquote(url.password) == NASTY


def test_transport_url_names_the_service_user_and_the_shared_vhost(probe):
    url = urlsplit(probe(GLOBALS)["transport-url"])
    assert (url.scheme, url.username, unquote(url.password)) == ("rabbit", "nova", NASTY)
    assert (url.hostname, url.port, url.path) == ("rabbitmq.ns.svc", 5672, "/openstack")


def test_images_default_to_kolla_2025_1_noble_and_upstream_tags(probe):
    data = probe(GLOBALS)
    assert data["image"] == "quay.io/openstack.kolla/nova-api:2025.1-ubuntu-noble"
    assert data["upstream-image"] == "docker.io/library/postgres:17.6"


def test_endpoints_follow_the_region_domain_and_namespace(probe):
    data = probe(GLOBALS)
    assert data["public-url"] == "https://nova.cloud.example.org/v2.1"
    assert data["internal-url"] == "http://nova-api.ns.svc:8774"


def test_job_name_changes_with_its_inputs_and_stays_a_dns_label(probe):
    data = probe(GLOBALS)
    assert data["job-name-a"] != data["job-name-b"]
    assert all(len(n) <= 63 and n.startswith("nova-db-sync-") for n in (data["job-name-a"], data["job-name-b"]))
    assert probe(GLOBALS)["job-name-a"] == data["job-name-a"]


def test_job_name_changes_with_the_chart_version(probe):
    """A new chart version may change a Job's immutable pod template itself."""
    chart_file = probe.chart / "Chart.yaml"
    before = chart_file.read_text()
    first = probe(GLOBALS)["job-name-a"]
    meta = yaml.safe_load(before)
    meta["version"] = "9.9.9"
    try:
        chart_file.write_text(yaml.safe_dump(meta))
        assert probe(GLOBALS)["job-name-a"] != first
    finally:
        chart_file.write_text(before)
    assert probe(GLOBALS)["job-name-a"] == first


def test_kolla_task_env_skips_the_images_extend_start(probe):
    assert yaml.safe_load(probe(GLOBALS)["kolla-task-env"]) == [
        {"name": "KOLLA_CONFIG_STRATEGY", "value": "COPY_ALWAYS"},
        {"name": "KOLLA_SKIP_EXTEND_START", "value": "true"}]


def test_kolla_env_has_kolla_start_copy_the_config_on_every_start(probe):
    assert yaml.safe_load(probe(GLOBALS)["kolla-env"]) == [
        {"name": "KOLLA_CONFIG_STRATEGY", "value": "COPY_ALWAYS"}]


def test_helpers_leave_values_unchanged(probe):
    import json
    after = json.loads(probe(GLOBALS)["values-after"])
    assert after["global"] == GLOBALS["global"] and after["service"] == "nova"


def test_missing_database_password_fails_naming_the_key(probe):
    values = yaml.safe_load(yaml.safe_dump(GLOBALS))
    del values["global"]["database"]["nova"]["password"]
    result = probe(values, check=False)
    assert result.returncode != 0
    assert "value global.database.nova.password is required" in result.stderr
