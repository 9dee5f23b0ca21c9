"""Bad region input for glance, cinder, manila and designate fails the render,
with Helm 3 and Helm 4, naming the list entry or the value, and nothing on
stdout: a storage node without a hostname, a duplicate one, an unknown
backend, a share node without its export address, and more."""
from __future__ import annotations

import json
import re

import pytest

from tests.charts.conftest import built_chart_tree
from tests.charts2.conftest_b import REGION

VOL = "global.hardware.volumes"
SHARES = "global.hardware.shares"
CASES = {
    "volume-without-hostname": (
        (VOL, [{"hostname": "vol-001"}, {"zone": "europe-example-a"}]),
        # Both the umbrella's schema and the chart name the entry: Helm 3
        # writes global.hardware.volumes.1, Helm 4 /global/hardware/volumes/1.
        r"global[./]hardware[./]volumes[./]1\b.*hostname|hostname.*volumes\[1\]"),
    "duplicate-volume-node": (
        (VOL, [{"hostname": "vol-001"}, {"hostname": "vol-002"}, {"hostname": "vol-001"}]),
        r"global\.hardware\.volumes\[2\] \(hostname vol-001\): duplicate hostname, already "
        r"global\.hardware\.volumes\[0\]"),
    "duplicate-volume-node-in-a-string": (
        (VOL, ["vol-001 vol-002", {"hostname": "vol-002"}]),
        r"global\.hardware\.volumes\[1\] \(hostname vol-002\): duplicate hostname, already "
        r"global\.hardware\.volumes\[0\]"),
    "unknown-volume-backend": (
        (VOL, [{"hostname": "vol-001", "backend": "ceph"}]),
        r'global\.hardware\.volumes\[0\] \(hostname vol-001\): backend "ceph" is not one of lvm, nfs'),
    "nfs-volume-without-exports": (
        (VOL, [{"hostname": "vol-001", "backend": "nfs"}]),
        r"global\.hardware\.volumes\[0\] \(hostname vol-001\): backend nfs needs nfs_shares"),
    "share-without-hostname": (
        (SHARES, [{"export_ip": "10.0.0.1"}]),
        r"global[./]hardware[./]shares[./]0\b.*hostname|hostname.*shares\[0\]"),
    "duplicate-share-node": (
        (SHARES, [{"hostname": "s-1", "export_ip": "10.0.0.1"},
                  {"hostname": "s-1", "export_ip": "10.0.0.2"}]),
        r"global\.hardware\.shares\[1\] \(hostname s-1\): duplicate hostname, already "
        r"global\.hardware\.shares\[0\]"),
    "unknown-share-backend": (
        (SHARES, [{"hostname": "s-1", "backend": "zfs", "export_ip": "10.0.0.1"}]),
        r'global\.hardware\.shares\[0\] \(hostname s-1\): backend "zfs" is not one of lvm'),
    "share-without-export-address": (
        (SHARES, [{"hostname": "s-1"}]),
        r"global\.hardware\.shares\[0\] \(hostname s-1\): backend lvm needs export_ip"),
    "share-node-listed-by-name-alone": (
        (SHARES, ["s-1"]),
        r"global\.hardware\.shares\[0\] \(hostname s-1\): backend lvm needs export_ip"),
    "bind9-servers-without-mdns-address": (
        ("openstack.designate.pool.mdns_address", ""),
        r"designate\.pool\.mdns_address is required when designate\.pool\.bind9_servers"),
    "bind9-of-the-chart-without-its-address": (
        ("openstack.designate.bind9", {"enabled": True}),
        r"designate\.bind9\.cluster_ip is required"),
    "glance-replicas-on-a-read-write-once-store": (
        ("openstack.glance.replicas", 2),
        r"glance\.replicas: 2 API pods share the image store, which needs "
        r"glance\.storage\.accessMode ReadWriteMany"),
    "barbican-kek-not-32-bytes": (
        ("openstack.barbican.simple_crypto_kek", "short"),
        r"simple_crypto_kek"),
    "designate-ns-record-not-fully-qualified": (
        ("openstack.designate.pool.ns_records", [{"hostname": "ns1.example.org", "priority": 1}]),
        r"hostname"),
}


@pytest.fixture(scope="module")
def tree(helm, tmp_path_factory):
    return built_chart_tree(helm, tmp_path_factory)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_region_value_fails_naming_it(tree, case):
    (key, value), message = CASES[case]
    result = tree.template(REGION, "--set-json", f"{key}={json.dumps(value)}", check=False)
    assert result.returncode != 0
    assert result.stdout == ""
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_the_chart_on_its_own_names_an_entry_without_hostname(tree):
    """Outside the umbrella no schema catches it: the chart's own check does."""
    result = tree.helm.run(
        "template", "r", str(tree.path("cinder")), "--set", "keystone_password=x",
        "--set", "global.region.name=r", "--set", "global.region.domain=example.org",
        "--set", "global.database.cinder.password=x",
        "--set", "global.rabbitmq.users.cinder.password=x",
        "--set-json", 'global.hardware.volumes=[{"hostname":"v-1"},{"zone":"a"}]', check=False)
    assert result.returncode != 0 and result.stdout == ""
    assert ("global.hardware.volumes[1]: hostname is required (the Kubernetes node name of "
            "this volume node)") in result.stderr


@pytest.mark.parametrize("chart, key", [
    ("glance", "glance.keystone_password"),
    ("barbican", "barbican.simple_crypto_kek"),
    ("horizon", "horizon.secret_key"),
])
def test_the_chart_without_its_credential_fails_naming_the_key(tree, chart, key):
    others = [] if key.endswith("keystone_password") else ["--set", "keystone_password=x"]
    result = tree.helm.run(
        "template", "r", str(tree.path(chart)), "--set", "global.region.name=r",
        "--set", "global.region.domain=example.org", "--set", f"global.database.{chart}.password=x",
        "--set", f"global.rabbitmq.users.{chart}.password=x", *others, check=False)
    assert result.returncode != 0 and result.stdout == ""
    assert f"value {key} is required" in result.stderr, result.stderr
