"""--check: every finding reported at once, nothing changed."""
from __future__ import annotations

import pytest
import yaml

from postrender import check, stream
from postrender.diagnostics import Diagnostics
from tests.conftest import postrender, third_party


def manifest(kind: str, name: str, **body) -> dict:
    api = {"Deployment": "apps/v1", "Job": "batch/v1"}.get(kind, "v1")
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name}, **body}


def deployment(*containers: dict, **spec) -> dict:
    return manifest("Deployment", "api", spec={"template": {"spec": {
        "containers": list(containers), **spec}}})


def findings(*objs: dict, stage=None) -> list:
    docs = stream.parse(yaml.safe_dump_all(objs))
    diagnostics = Diagnostics(check=True)
    (stage or check.CheckStage((), (), None)).apply(docs, diagnostics)
    return diagnostics.findings


def messages(*objs: dict, stage=None) -> list[str]:
    return [f.message for f in findings(*objs, stage=stage) if f.strict]


def container(**fields) -> dict:
    return {"name": "c", "image": "quay.io/openstack.kolla/nova-api:2025.1-ubuntu-noble",
            "resources": {"requests": {"cpu": "100m"}}, **fields}


@pytest.mark.parametrize("data, field", [
    ({"db_password": "s3cret"}, "data.db_password"),
    ({"nova.conf": "[DEFAULT]\ntransport_url = rabbit://nova:pw@rabbitmq:5672/\n"}, "data.nova.conf (line 2)"),
    ({"nova.conf": "[database]\nconnection = postgresql+psycopg2://nova:pw@pg/nova\n"}, "data.nova.conf (line 2)"),
    ({"keystone.conf": "[cache]\nmemcache_secret_key = abc\n"}, "data.keystone.conf (line 2)"),
    ({"neutron.ini": "[keystone_authtoken]\npassword = hunter2\n"}, "data.neutron.ini (line 2)"),
])
def test_credentials_in_configmaps_are_findings(data, field):
    (message,) = messages(manifest("ConfigMap", "etc", data=data))
    assert f"ConfigMap/etc: {field}:" in message


@pytest.mark.parametrize("data", [
    {"nova.conf": "[keystone_authtoken]\npassword =\n"},
    {"db-init.py": "password = user_engine.url.password\n"},
    {"start.sh": "rabbit://nova:${RABBIT_PASSWORD}@rabbitmq/\n"},
    {"nova.conf": "[token]\nprovider = fernet\n"},
])
def test_non_credentials_are_not_findings(data):
    assert messages(manifest("ConfigMap", "etc", data=data)) == []


def test_literal_credential_in_env_is_a_finding_and_secret_refs_are_not():
    env = [{"name": "DB_PASSWORD", "value": "pw"},
           {"name": "OS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
           {"name": "RBD_POOL_SECRET", "value": "cinder-volume-rbd-keyring"}]
    (message,) = messages(deployment(container(env=env)))
    assert "spec.template.spec.containers[0].env[0]: credential 'DB_PASSWORD'" in message


@pytest.mark.parametrize("image, problem", [
    ("quay.io/openstack.kolla/nova-api:latest", "latest tag"),
    ("quay.io/openstack.kolla/nova-api", "no tag"),
    ("registry:5000/nova-api", "no tag"),
])
def test_latest_and_missing_tags_are_findings(image, problem):
    (message,) = messages(deployment(container(image=image)))
    assert problem in message


def test_digest_and_registry_port_are_pinned():
    assert messages(deployment(container(image="registry:5000/nova-api@sha256:" + "a" * 64))) == []
    assert messages(deployment(container(image="registry:5000/nova-api:2025.1"))) == []


def test_images_outside_the_region_registries_are_findings():
    stage = check.CheckStage(("registry.example/openstack",), (), "check.yaml")
    objs = [deployment(container(), container(name="d", image="registry.example/openstack/x:1"))]
    (message,) = messages(*objs, stage=stage)
    assert "containers[0].image" in message and "registry.example/openstack" in message


def test_pod_without_placement_is_a_finding_only_with_dedicated_species():
    stage = check.CheckStage((), ("hypervisor", "network"), None)
    unplaced = deployment(container())
    placed = deployment(container(), nodeSelector={"species": "network"})
    assert len(messages(unplaced, stage=stage)) == 1
    assert messages(placed, stage=stage) == []
    assert messages(unplaced) == []


def test_missing_requests_is_a_warning_not_an_error():
    (finding,) = findings(deployment({"name": "c", "image": "a/b:1"}))
    assert not finding.strict and "no resource requests" in finding.message


def test_check_exits_5_reports_everything_and_writes_nothing(tmp_path):
    objs = [manifest("ConfigMap", "a", data={"password": "x"}),
            deployment(container(image="quay.io/x/y:latest"))]
    result = postrender(yaml.safe_dump_all(objs), "--check", "--overlay", str(tmp_path))
    assert result.returncode == 5 and result.stdout == b""
    err = result.stderr.decode()
    assert "ConfigMap/a: data.password" in err and "Deployment/api" in err
    assert "2 finding(s)" in err


def test_check_yaml_rejects_unknown_keys(tmp_path):
    (tmp_path / "check.yaml").write_text("registry: x\n")
    result = postrender(yaml.safe_dump(manifest("ConfigMap", "a")), "--check", "--overlay", str(tmp_path))
    assert result.returncode == 4 and b"check.yaml: unknown key(s) registry" in result.stderr


# What --check finds in the third-party charts, pinned: (strict, warnings) with
# quay.io/openstack.kolla as the only registry. Their credentials all live in
# Secrets; the findings are images from other registries and missing requests.
THIRD_PARTY_FINDINGS = {
    "cinder": (48, 22), "glance": (29, 14), "horizon": (8, 4), "keystone": (26, 12),
    "mariadb": (7, 3), "memcached": (2, 1), "neutron": (38, 18), "nova": (55, 26),
    "rabbitmq": (10, 3),
}


@pytest.mark.parametrize("fixture", third_party())
def test_third_party_findings_are_pinned(fixture):
    docs = stream.parse(fixture.read_text())
    diagnostics = Diagnostics(check=True)
    check.CheckStage(("quay.io/openstack.kolla",), (), "check.yaml").apply(docs, diagnostics)
    strict = [f for f in diagnostics.findings if f.strict]
    assert (len(strict), len(diagnostics.findings) - len(strict)) == THIRD_PARTY_FINDINGS[fixture.stem]
    assert all("is not from the region's registries" in f.message for f in strict)


def test_check_takes_the_dedicated_species_from_the_regions_placement_policy(tmp_path):
    (tmp_path / "placement.yaml").write_text(
        "species:\n  hypervisor:\n    nodeLabels: {species: hypervisor}\n"
        "    taint: {key: species, value: hypervisor, effect: NoSchedule}\n")
    result = postrender(yaml.safe_dump(deployment(container())), "--check", "--overlay", str(tmp_path))
    assert result.returncode == 5, result.stderr
    assert b"no placement decision" in result.stderr and b"species hypervisor" in result.stderr
