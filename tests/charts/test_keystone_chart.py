"""Keystone as the region renders it: the Kolla API on 5000 behind an Ingress
with TLS, config and keys in Secrets, checksums that roll the pods, and the
db-sync and bootstrap Jobs."""
from __future__ import annotations

import json
import re

import pytest

from tests.charts.conftest import CHARTS, NAMESPACE, REGION, documents, region_values

DOMAIN = region_values()["global"]["region"]["domain"]
REGION_NAME = region_values()["global"]["region"]["name"]


def find(objects, kind, name=None, prefix=None):
    for obj in objects:
        if obj["kind"] == kind and (obj["metadata"]["name"] == name or
                                    (prefix and obj["metadata"]["name"].startswith(prefix))):
            return obj
    raise AssertionError(f"no {kind} {name or prefix + '*'}")


@pytest.fixture(scope="session")
def objects(chart_tree):
    return documents(chart_tree.rendered(REGION))


def mounts(container):
    return {m["mountPath"]: m["name"] for m in container["volumeMounts"]}


def test_api_serves_port_5000_through_kolla_start_and_apache(objects):
    deployment = find(objects, "Deployment", "keystone-api")
    pod = deployment["spec"]["template"]["spec"]
    (api,) = pod["containers"]
    assert api["image"] == "quay.io/openstack.kolla/keystone:2025.1-ubuntu-noble"
    assert api["ports"] == [{"name": "api", "containerPort": 5000}]
    assert api["readinessProbe"]["httpGet"] == {"path": "/v3", "port": "api"}
    assert {"name": "KOLLA_CONFIG_STRATEGY", "value": "COPY_ALWAYS"} in api["env"]
    volume = next(v for v in pod["volumes"] if v["name"] == mounts(api)["/var/lib/kolla/config_files"])
    items = {i["path"]: i["key"] for i in volume["secret"]["items"]}
    assert volume["secret"]["secretName"] == "keystone-etc" and items["config.json"] == "config-api.json"

    etc = find(objects, "Secret", "keystone-etc")["stringData"]
    config = json.loads(etc["config-api.json"])
    assert config["command"] == "/usr/sbin/apache2 -DFOREGROUND"
    dests = {f["dest"] for f in config["config_files"]}
    assert {"/etc/keystone/keystone.conf", "/etc/apache2/conf-enabled/wsgi-keystone.conf"} <= dests
    assert "Listen 5000" in etc["wsgi-keystone.conf"]
    assert "/var/lib/kolla/venv/bin/keystone-wsgi-public" in etc["wsgi-keystone.conf"]


def test_ingress_serves_the_region_domain_with_tls(objects):
    ingress = find(objects, "Ingress", "keystone")["spec"]
    host = f"keystone.{DOMAIN}"
    assert ingress["tls"] == [{"hosts": [host], "secretName": "openstack-tls"}]
    (rule,) = ingress["rules"]
    assert rule["host"] == host
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "keystone-api", "port": {"name": "api"}}
    tls = find(objects, "Secret", "openstack-tls")
    assert tls["type"] == "kubernetes.io/tls"
    assert tls["stringData"]["tls.crt"].startswith("-----BEGIN CERTIFICATE-----")
    service = find(objects, "Service", "keystone-api")["spec"]
    assert service["ports"] == [{"name": "api", "port": 5000, "targetPort": "api"}]


def test_keystone_conf_is_the_plain_file_rendered_into_a_secret(objects):
    conf = find(objects, "Secret", "keystone-etc")["stringData"]["keystone.conf"]
    plain = (CHARTS / "keystone" / "files" / "keystone.conf").read_text()
    for line in plain.splitlines():
        if "{{" not in line:
            assert line.strip() in conf
    password = region_values()["global"]["database"]["keystone"]["password"]
    assert f"connection = postgresql+psycopg2://keystone:{password}@postgresql.{NAMESPACE}.svc:5432/keystone" in conf
    assert "provider = fernet" in conf


def test_fernet_and_credential_keys_are_secrets_mounted_read_only(objects):
    region = region_values()["openstack"]["keystone"]
    assert find(objects, "Secret", "keystone-fernet-keys")["stringData"] == region["fernet_keys"]
    assert find(objects, "Secret", "keystone-credential-keys")["stringData"] == region["credential_keys"]
    pod = find(objects, "Deployment", "keystone-api")["spec"]["template"]["spec"]
    api = pod["containers"][0]
    volumes = {v["name"]: v for v in pod["volumes"]}
    for path, secret in (("/etc/keystone/fernet-keys", "keystone-fernet-keys"),
                         ("/etc/keystone/credential-keys", "keystone-credential-keys")):
        assert volumes[mounts(api)[path]]["secret"]["secretName"] == secret
    assert all(m["readOnly"] for m in api["volumeMounts"])


def annotations(objects):
    return find(objects, "Deployment", "keystone-api")["spec"]["template"]["metadata"]["annotations"]


def test_a_config_change_rolls_the_api_pods_and_a_key_change_too(chart_tree, objects):
    before = annotations(objects)
    debug = annotations(chart_tree.render(REGION, "--set", "openstack.keystone.conf.debug=true"))
    assert debug["checksum/secret-etc"] != before["checksum/secret-etc"]
    assert debug["checksum/secret-fernet-keys"] == before["checksum/secret-fernet-keys"]
    rotated = annotations(chart_tree.render(
        REGION, "--set", "openstack.keystone.fernet_keys.3=" + "A" * 43 + "="))
    assert rotated["checksum/secret-fernet-keys"] != before["checksum/secret-fernet-keys"]
    assert rotated["checksum/secret-etc"] == before["checksum/secret-etc"]


def test_db_sync_job_reruns_when_its_image_or_config_changes(chart_tree, objects):
    name = find(objects, "Job", prefix="keystone-db-sync-")["metadata"]["name"]
    assert re.fullmatch(r"keystone-db-sync-[0-9a-f]{8}", name)
    same = chart_tree.render(REGION, "--set", "openstack.keystone.replicas=3")
    assert find(same, "Job", prefix="keystone-db-sync-")["metadata"]["name"] == name
    for change in ("global.image.tag=2025.1-ubuntu-noble-1", "openstack.keystone.conf.debug=true"):
        other = chart_tree.render(REGION, "--set", change)
        assert find(other, "Job", prefix="keystone-db-sync-")["metadata"]["name"] != name, change
    job = find(objects, "Job", prefix="keystone-db-sync-")
    etc = find(objects, "Secret", "keystone-etc")["stringData"]
    assert "db_sync" in json.loads(etc["config-db-sync.json"])["command"]
    # No command or args: the image's entrypoint (dumb-init) runs its CMD kolla_start.
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert "command" not in container and "args" not in container


def test_bootstrap_job_registers_the_region_and_its_endpoints(objects):
    job = find(objects, "Job", prefix="keystone-bootstrap-")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["OS_BOOTSTRAP_REGION_ID"]["value"] == REGION_NAME
    assert env["OS_BOOTSTRAP_PUBLIC_URL"]["value"] == f"https://keystone.{DOMAIN}"
    assert env["OS_BOOTSTRAP_INTERNAL_URL"]["value"] == f"http://keystone-api.{NAMESPACE}.svc:5000"
    assert env["OS_BOOTSTRAP_ADMIN_URL"]["value"] == f"http://keystone-api.{NAMESPACE}.svc:5000"
    assert env["OS_BOOTSTRAP_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "keystone-admin",
                                                                         "key": "OS_PASSWORD"}
    etc = find(objects, "Secret", "keystone-etc")["stringData"]
    assert json.loads(etc["config-bootstrap.json"])["command"].endswith("keystone-manage "
                                                                       "--config-file /etc/keystone/keystone.conf bootstrap")
    admin = find(objects, "Secret", "keystone-admin")["stringData"]
    assert admin["OS_PASSWORD"] == region_values()["global"]["keystone"]["admin_password"]


def test_api_has_a_disruption_budget(objects):
    pdb = find(objects, "PodDisruptionBudget", "keystone-api")["spec"]
    assert pdb["selector"]["matchLabels"]["app.kubernetes.io/component"] == "api"
    assert pdb["maxUnavailable"] == 1


def test_ingress_host_can_be_overridden_and_ingress_switched_off(chart_tree):
    custom = chart_tree.render(REGION, "--set", "openstack.keystone.ingress.host=identity.example.net")
    assert find(custom, "Ingress", "keystone")["spec"]["rules"][0]["host"] == "identity.example.net"
    job = find(custom, "Job", prefix="keystone-bootstrap-")
    env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["OS_BOOTSTRAP_PUBLIC_URL"] == "https://identity.example.net"
    off = chart_tree.render(REGION, "--set", "openstack.keystone.ingress.enabled=false")
    assert not [o for o in off if o["kind"] == "Ingress"
                and o["metadata"]["labels"]["app.kubernetes.io/name"] == "keystone"]
    assert [o for o in off if o["kind"] == "Ingress"]  # the other services keep theirs


def test_clients_in_the_cluster_use_keystones_internal_endpoints(objects):
    """The ks-register Jobs read keystone-admin: after the token, the client
    takes each endpoint from the catalog's OS_INTERFACE, and the default,
    public, goes through the Ingress and a certificate pods do not trust."""
    admin = find(objects, "Secret", "keystone-admin")["stringData"]
    assert admin["OS_INTERFACE"] == "internal"
    assert admin["OS_AUTH_URL"].startswith("http://keystone-api.")
    register = [o for o in objects if o["kind"] == "Job" and "-ks-register-" in o["metadata"]["name"]]
    assert register
    for job in register:
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert {"secretRef": {"name": "keystone-admin"}} in container["envFrom"]
