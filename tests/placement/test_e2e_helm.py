"""Placement through the real Helm 3 and Helm 4, on a test chart and on third-party output."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from postrender import podtemplate, stream
from tests.conftest import ROOT, THIRD_PARTY, needs_third_party, postrender, third_party
from tests.placement.helpers import objects, place, validate
from postrender.overlaydir import OverlayDir

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
CHART = HERE / "chart"
OVERLAY = HERE / "overlay"
ARGS = (f"--root={ROOT}", f"--overlay={OVERLAY}")
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
NOT_DEDICATED = {"key": "species", "operator": "NotIn",
                 "values": ["hypervisor", "network", "swift-storage"]}


def toleration(species):
    return {"key": "species", "operator": "Equal", "value": species, "effect": "NoSchedule"}


def render(helm, chart=CHART) -> dict[str, dict]:
    out = helm.run("template", "r", str(chart), *helm.post_renderer_args(*ARGS)).stdout
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects(out)}


def spec(obj):
    return podtemplate.pod_spec(obj)


def test_test_chart_is_placed_by_species_under_both_helms(helm):
    placed = render(helm)
    for name in ("DaemonSet/nova-libvirt", "Deployment/nova-compute-hv-1",
                 "Deployment/nova-compute-hv-2", "DaemonSet/neutron-ovs-agent-hypervisor"):
        assert toleration("hypervisor") in spec(placed[name])["tolerations"], name
        assert spec(placed[name])["nodeSelector"]["species"] == "hypervisor", name
    for agent in ("l3-agent", "dhcp-agent", "metadata-agent", "ovs-agent"):
        obj = placed[f"DaemonSet/neutron-{agent}"]
        assert spec(obj)["tolerations"] == [toleration("network")]
        assert spec(obj)["nodeSelector"] == {"species": "network"}
    assert spec(placed["Deployment/nova-compute-hv-2"])["nodeSelector"] == {
        "species": "hypervisor", "kubernetes.io/hostname": "hv-2"}
    for name in ("Deployment/keystone-api", "CronJob/keystone-fernet-rotate",
                 "StatefulSet/postgresql", "Pod/postgresql-check"):
        terms = spec(placed[name])["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]
        assert terms == [{"matchExpressions": [NOT_DEDICATED]}], name
        assert "tolerations" not in spec(placed[name])
    assert spec(placed["Deployment/keystone-api"])["topologySpreadConstraints"][0][
        "topologyKey"] == "topology.kubernetes.io/zone"
    # migrated: the legacy annotation is gone and its toleration is a field
    libvirt = placed["DaemonSet/nova-libvirt"]
    assert "annotations" not in libvirt["spec"]["template"]["metadata"]
    assert {"key": "libvirt", "operator": "Exists", "effect": "NoSchedule"} in spec(libvirt)["tolerations"]
    assert spec(placed["StatefulSet/postgresql"])["nodeSelector"] == {
        "topology.kubernetes.io/region": "eu-de"}
    assert placed["ConfigMap/postgresql-conf"]["data"]["postgresql.conf"] == "max_connections = 200\n"
    for obj in placed.values():
        validate(obj)


def test_helm4_hook_is_placed_and_helm3_hook_is_not_post_rendered(helm):
    hook = render(helm)["Job/keystone-db-sync"]
    if helm.major == 4:
        terms = spec(hook)["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]
        assert terms == [{"matchExpressions": [NOT_DEDICATED]}]
    else:
        assert "affinity" not in spec(hook)  # Helm 3 never sends hooks (helm/helm#7891)


def test_helm_output_placed_again_is_unchanged(helm):
    out = helm.run("template", "r", str(CHART), *helm.post_renderer_args(*ARGS)).stdout
    once = postrender(out, *ARGS)
    twice = postrender(once.stdout, *ARGS)
    assert once.returncode == twice.returncode == 0, once.stderr + twice.stderr
    assert twice.stdout == once.stdout
    if helm.major == 4:  # Helm 4 placed everything already, hooks included
        assert objects(once.stdout.decode()) == objects(out)


def test_contradiction_fails_helm_with_both_sources_in_the_log(helm, tmp_path):
    log = tmp_path / "log"
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart)
    api = chart / "templates" / "deployment-api.yaml"
    api.write_text(api.read_text().replace("    spec:\n", "    spec:\n      nodeSelector: {species: network}\n", 1))
    failed = helm.run("template", "r", str(chart), *helm.post_renderer_args(*ARGS), check=False,
                      env={"OSH_POSTRENDER_LOG": str(log)})
    assert failed.returncode != 0
    message = log.read_text()
    assert "placement-e2e/templates/deployment-api.yaml" in message
    assert "Deployment/keystone-api: spec.template.spec.nodeSelector.species" in message
    assert "placement/base.yaml: default" in message


def fixture_chart(tmp_path: Path, fixture: Path) -> Path:
    """A trivial chart whose one template is a third-party stream, verbatim."""
    chart = tmp_path / fixture.stem
    (chart / "templates").mkdir(parents=True)
    (chart / "files").mkdir()
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {fixture.stem}\nversion: 0.1.0\n")
    shutil.copy(fixture, chart / "files" / "stream.yaml")
    (chart / "templates" / "stream.yaml").write_text('{{ .Files.Get "files/stream.yaml" }}\n')
    return chart


@pytest.mark.parametrize("fixture", third_party())
def test_third_party_charts_are_placed_through_the_helm4_plugin(helm4, tmp_path, fixture):
    placed = render(helm4, fixture_chart(tmp_path, fixture))
    workloads = [o for o in placed.values() if podtemplate.pod_spec(o) is not None]
    assert workloads
    for obj in workloads:
        labels = obj["metadata"].get("labels") or {}
        s = spec(obj)
        if labels.get("application") == "nova" and labels.get("component") == "compute":
            assert s["nodeSelector"]["species"] == "hypervisor"
            assert s["nodeSelector"]["openstack-compute-node"] == "enabled"  # the chart's, kept
        elif labels.get("application") == "neutron" and obj["kind"] == "DaemonSet":
            assert toleration("network") in s["tolerations"]
        else:
            terms = s["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]
            assert all(NOT_DEDICATED in t["matchExpressions"] for t in terms)
        validate(obj)


@pytest.mark.parametrize("fixture", third_party())
def test_third_party_streams_are_placed_in_their_own_text_and_idempotently(fixture):
    overlay = OverlayDir(OVERLAY, ROOT)
    text = fixture.read_text()
    documents, _, once = place(text, overlay)
    # The pipeline verified that every edited text parses to its object; none needed a re-dump.
    assert [d.address() for d in documents if d.dirty] == []
    originals = stream.parse(text)
    workloads = [i for i, d in enumerate(documents) if podtemplate.pod_spec(d.obj) is not None]
    assert workloads
    assert all(documents[i].text != originals[i].text for i in workloads)
    assert all(documents[i].text == originals[i].text for i in range(len(documents))
               if i not in workloads)
    again, _, twice = place(once, overlay)
    assert twice == once


@needs_third_party
def test_third_party_stream_through_the_command_line_keeps_helm4_filenames():
    fixture = next(p for p in THIRD_PARTY if p.stem == "nova")
    result = postrender(fixture.read_bytes(), *ARGS)
    assert result.returncode == 0, result.stderr
    for obj in objects(result.stdout.decode()):
        assert obj["metadata"]["annotations"]["postrenderer.helm.sh/postrender-filename"].startswith("nova/")
