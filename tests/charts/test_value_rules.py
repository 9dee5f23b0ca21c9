"""The four value rules (docs/charts.md): generic charts ship no sensitive
default, the region gives every one, a missing one fails naming its key, and
a bad value fails through the schema with a message naming the field."""
from __future__ import annotations

import re

import pytest
import yaml

from tests.charts.conftest import (CHARTS, REGION, chart_values, documents, region_values,
                                   release_charts)

GENERIC_CHARTS = [p.name for p in release_charts(CHARTS / REGION) if p.name != REGION]
SENSITIVE_WORDS = {"password", "passwd", "token", "secret", "key", "keys", "certificate", "cert"}
# Keys whose last word sounds sensitive but whose value is not a credential.
NOT_SENSITIVE = {
    "tls_secret": "the name of the Secret holding the certificate, not its content",
}

# Every value the region must give, as the region writes it (chart-relative
# keys of a service chart live under openstack.<chart>).
REQUIRED_KEYS = [
    "global.region.name",
    "global.region.domain",
    "global.database.keystone.password",
    "global.keystone.admin_password",
    "openstack.tls.certificate",
    "openstack.tls.key",
    "openstack.postgresql.admin_password",
    "openstack.rabbitmq.admin_password",
    "openstack.keystone.fernet_keys",
    "openstack.keystone.credential_keys",
]


def is_sensitive_name(key: str) -> bool:
    return key not in NOT_SENSITIVE and key.lower().split("_")[-1] in SENSITIVE_WORDS


def sensitive_defaults(values, path: str = "") -> list[tuple[str, object]]:
    """(path, value) of every sensitive-named key with a non-empty default.
    Numbers and booleans are counts and switches, never credentials."""
    found = []
    if isinstance(values, dict):
        for key, value in values.items():
            where = f"{path}.{key}" if path else str(key)
            if is_sensitive_name(str(key)) and value not in ("", None, {}, []) \
                    and not isinstance(value, (bool, int, float)):
                found.append((where, value))
            else:
                found.extend(sensitive_defaults(value, where))
    elif isinstance(values, list):
        for i, item in enumerate(values):
            found.extend(sensitive_defaults(item, f"{path}[{i}]"))
    return found


def sensitive_paths(values, path: str = "") -> list[str]:
    out = []
    if isinstance(values, dict):
        for key, value in values.items():
            where = f"{path}.{key}" if path else str(key)
            if is_sensitive_name(str(key)) and not isinstance(value, (bool, int, float)):
                out.append(where)
            else:
                out.extend(sensitive_paths(value, where))
    return out


def lookup(values: dict, dotted: str):
    for part in dotted.split("."):
        if not isinstance(values, dict) or part not in values:
            return None
        values = values[part]
    return values


def leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v)]
    return [str(value)] if value not in (None, "") else []


def test_checker_flags_a_sensitive_default_and_ignores_counts():
    flagged = sensitive_defaults({"db": {"admin_password": "hunter2"}, "fernet_keys": {"0": "k"},
                                  "conf": {"fernet_max_active_keys": 3, "token_expiration": 60},
                                  "tls_secret": "openstack-tls", "tls": {"key": ""}})
    assert [p for p, _ in flagged] == ["db.admin_password", "fernet_keys"]


@pytest.mark.parametrize("name", GENERIC_CHARTS)
def test_generic_chart_ships_no_sensitive_default(name):
    assert sensitive_defaults(chart_values(name)) == []


def test_region_gives_every_sensitive_value_the_generic_charts_declare():
    region = region_values()
    umbrella = chart_values("openstack")
    wanted = [p for p in sensitive_paths(umbrella) if p.startswith("global.")]
    wanted += [f"openstack.{p}" for p in sensitive_paths(umbrella) if not p.startswith("global.")]
    for name in GENERIC_CHARTS:
        if name not in ("openstack", "osh-lib"):
            wanted += [f"openstack.{name}.{p}" for p in sensitive_paths(chart_values(name))]
    missing = [p for p in wanted if not lookup(region, p)]
    assert wanted and missing == []


def test_openstack_without_region_values_fails_with_a_required_message(chart_tree):
    result = chart_tree.template("openstack", check=False)
    assert result.returncode != 0 and result.stdout == ""
    match = re.search(r"value (\S+) is required", result.stderr)
    assert match, result.stderr
    assert match.group(1) in REQUIRED_KEYS


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_region_missing_a_required_value_fails_naming_the_key(chart_tree, key, tmp_path):
    chart = chart_tree.region_without(key, tmp_path)
    result = chart_tree.helm.run("template", "r", str(chart), "--namespace", "openstack",
                                 check=False)
    assert result.returncode != 0 and result.stdout == ""
    assert f"value {key} is required" in result.stderr, result.stderr


def test_mariadb_needs_its_admin_password_once_enabled(chart_tree, tmp_path):
    chart = chart_tree.region_without("openstack.mariadb.admin_password", tmp_path)
    result = chart_tree.helm.run("template", "r", str(chart), "--namespace", "openstack",
                                 "--set", "openstack.mariadb.enabled=true", check=False)
    assert "value openstack.mariadb.admin_password is required" in result.stderr


@pytest.mark.parametrize("args, field", [
    (("--set", "global.region.domain=Europe_Example"), "domain"),
    (("--set", "global.region.domain=europe..example.org"), "domain"),
    (("--set", "openstack.keystone.replicas=-1"), "replicas"),
    (("--set", "openstack.memcached.replicas=-2"), "replicas"),
    (("--set", "openstack.postgresql.replicas=-1"), "replicas"),
    (("--set", "openstack.keystone.fernet_keys.1=not-a-fernet-key"), "fernet_keys"),
    (("--set", "global.database.keystone.engine=sqlite"), "engine"),
    (("--set", "global.hardware.hypervisors[0].hostname=KVM_1"), "hostname"),
    (("--set", "global.node_groups=0"), "node_groups"),
    (("--set", "global.pods.automountServiceAccountToken=maybe"), "automountServiceAccountToken"),
    (("--set", "global.image.pullSecrets={Mirror_Pull}"), "pullSecrets"),
])
def test_invalid_value_fails_through_the_schema_naming_the_field(chart_tree, args, field):
    result = chart_tree.template(REGION, *args, check=False)
    assert result.returncode != 0 and result.stdout == ""
    assert "don't meet the specifications of the schema" in result.stderr, result.stderr
    assert field in result.stderr


def test_no_credential_in_a_configmap_or_a_plain_env_value(chart_tree):
    region = region_values()
    secrets = [leaf for p in sensitive_paths(region) for leaf in leaves(lookup(region, p))]
    assert len(secrets) >= 10
    rendered = chart_tree.rendered(REGION, *chart_tree.helm.post_renderer_args(
        f"--region={REGION}"))
    for obj in documents(rendered):
        exposed = []
        if obj["kind"] == "ConfigMap":
            exposed.append(yaml.safe_dump(obj.get("data", {})))
            exposed.append(yaml.safe_dump(obj.get("binaryData", {})))
        exposed.append(yaml.safe_dump(obj["metadata"]))
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            spec = obj["spec"]["template"]["spec"]
            for container in spec["containers"] + spec.get("initContainers", []):
                exposed += [str(e.get("value", "")) for e in container.get("env", [])]
                exposed += container.get("command", []) + container.get("args", [])
            exposed.append(yaml.safe_dump(obj["spec"]["template"]["metadata"]))
        for text in exposed:
            for secret in secrets:
                piece = secret.strip().splitlines()[1] if "\n" in secret.strip() else secret
                assert piece not in text, f"{obj['kind']}/{obj['metadata']['name']} shows a credential"


def test_every_secret_value_of_the_region_lands_only_in_secrets(chart_tree):
    """The other side: the region's passwords are rendered, in Secrets."""
    region = region_values()
    secret_text = "".join(yaml.safe_dump(o) for o in documents(chart_tree.rendered(REGION))
                          if o["kind"] == "Secret")
    for path in ("global.keystone.admin_password", "global.database.keystone.password",
                 "openstack.postgresql.admin_password", "openstack.rabbitmq.admin_password"):
        assert lookup(region, path) in secret_text, path
