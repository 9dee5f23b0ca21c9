"""A region of 5,000 KVM hypervisors (500 network and 500 volume nodes) fits
in the one Secret Helm stores a release revision in.

Helm's storage driver (pkg/storage/driver/util.go, encodeRelease, the same in
3.18 and 4.1) json.Marshal()s the release (name, info, the chart's metadata,
templates, values, schema and files, the user's values as config, the
post-rendered manifest, hooks), gzips it at BestCompression and base64-encodes
it into the Secret's data.release; the API server refuses Secret data over
1 MiB. Helm 4 prints that very release with `install --dry-run=client -o
json` (json.Encoder: json.Marshal plus a newline) without a cluster; Helm 3
needs a cluster for that, so its release is Helm 4's with the manifest Helm 3
renders (`helm template` prints the release manifest). gzip is Python's zlib
at level 9, not Go's compress/flate: their sizes differ by a few percent
(docs/charts.md, "Large regions"), far less than the margin below 1 MiB.
"""
from __future__ import annotations

import base64
import gzip
import json

import pytest
import yaml

from tests.charts.conftest import REGION, built_chart_tree

HYPERVISORS = 5000
MAX_SECRET_DATA = 1 << 20  # the API server's limit on a Secret's data


def encoded_release(release_json: bytes) -> bytes:
    """data.release as Helm's Secrets driver writes it: base64(gzip(json))."""
    return base64.b64encode(gzip.compress(release_json, compresslevel=9))


def region_values(count: int) -> dict:
    """N KVM hypervisors and N/10 network and volume nodes, listed by name."""
    def names(prefix: str, n: int) -> str:
        return " ".join(f"{prefix}-{i:04d}" for i in range(1, n + 1))
    return {"global": {"hardware": {"hypervisors": [names("kvm", count)],
                                    "network_agents": [names("net", count // 10)],
                                    "volumes": [names("vol", count // 10)]}}}


@pytest.fixture(scope="module")
def large(tmp_path_factory, helm4):
    """(the built chart tree, the values file) of the 5,000-hypervisor region."""
    tree = built_chart_tree(helm4, tmp_path_factory)
    values = tmp_path_factory.mktemp("large") / "values.yaml"
    values.write_text(yaml.safe_dump(region_values(HYPERVISORS), width=1 << 20))
    return tree, values


@pytest.fixture(scope="module")
def release4(large, helm4) -> bytes:
    tree, values = large
    out = helm4.run("install", "europe", str(tree.path(REGION)), "--namespace", "openstack",
                    "--dry-run=client", "-o", "json", "-f", str(values),
                    *helm4.post_renderer_args(f"--region={REGION}")).stdout
    return out.encode().rstrip(b"\n")


def test_the_encoding_is_base64_of_gzip_of_the_json():
    data = encoded_release(b'{"name":"r"}')
    assert json.loads(gzip.decompress(base64.b64decode(data))) == {"name": "r"}


def test_a_5000_hypervisor_release_fits_one_secret_with_helm_4(release4):
    release = json.loads(release4)
    # What is measured is the whole region: every host in the config, every
    # group of every list in the manifest, the chart with its values.
    assert len(release["config"]["global"]["hardware"]["hypervisors"][0].split()) == HYPERVISORS
    assert release["manifest"].count("\nkind: DaemonSet\n") > 500
    assert release["chart"]["metadata"]["name"] == REGION and release["chart"]["values"]
    size = len(encoded_release(release4))
    assert size < MAX_SECRET_DATA, f"{size} bytes"


def test_a_5000_hypervisor_release_fits_one_secret_with_helm_3(large, helm3, release4):
    tree, values = large
    manifest = helm3.run("template", "europe", str(tree.path(REGION)), "--namespace", "openstack",
                         "-f", str(values),
                         *helm3.post_renderer_args(f"--region={REGION}")).stdout
    assert "# Source: " in manifest
    release = json.loads(release4)
    release["manifest"] = manifest
    size = len(encoded_release(json.dumps(release, separators=(",", ":")).encode()))
    assert size < MAX_SECRET_DATA, f"{size} bytes"
