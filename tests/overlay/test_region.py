"""The europe-example-region overlay on the real region chart, through real Helm.

The overlay stage must give what `kubectl kustomize` gives on the raw render
of charts/europe-example-region, and the full post-rendered region (every
stage, Helm 3 and Helm 4) must carry the overlay's images, labels, TLS Secret
and patches and pass kubernetes-validate in strict mode.
"""
from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from tests.charts.conftest import built_chart_tree
from tests.conftest import ROOT
from tests.overlay.differential import KUBECTL, Case, engine, kustomize

pytestmark = pytest.mark.e2e

REGION = ROOT / "overlays" / "europe-example-region"
REGISTRY = "registry.europe-example.cloud/"
REGION_LABEL = ("openstack-helm.org/region", "europe-example")
TLS = "europe-example-region-tls"


def objects(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def images(objs) -> list[str]:
    found = []
    for obj in objs:
        spec = obj.get("spec") or {}
        for holder in (spec, (spec.get("template") or {}).get("spec") or {},
                       ((((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {})
                        .get("spec") or {})):
            for key in ("initContainers", "containers"):
                found.extend(c["image"] for c in holder.get(key) or ())
    return found


@pytest.fixture(scope="module")
def region_chart(helm3, tmp_path_factory):
    """europe-example-region with its dependencies built (a fresh clone has no
    charts/*/charts/*.tgz); Helm 3 and Helm 4 read the same packages."""
    return built_chart_tree(helm3, tmp_path_factory).path("europe-example-region")


@pytest.fixture(scope="module")
def raw_render(helm3, region_chart) -> str:
    return helm3.run("template", "r", str(region_chart)).stdout


@pytest.fixture(scope="module")
def region_case(raw_render) -> Case:
    spec = yaml.safe_load((REGION / "kustomization.yaml").read_text())
    files = {str(p.relative_to(REGION)): p.read_text() for p in (REGION / "overlay").rglob("*")
             if p.is_file()}
    return Case(raw_render, spec, files)


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_region_overlay_gives_what_kustomize_gives_on_the_region_chart(region_case, tmp_path):
    expected = kustomize(region_case, tmp_path / "kustomize")
    assert engine(region_case, tmp_path / "overlay") == expected


def test_region_overlay_lists_every_image_the_charts_use(raw_render):
    listed = {entry["name"] for entry in
              yaml.safe_load((REGION / "kustomization.yaml").read_text())["images"]}
    used = {image.rsplit(":", 1)[0] for image in images(objects(raw_render))}
    assert used and used <= listed, sorted(used - listed)


@pytest.fixture(scope="module")
def region_render(helm, region_chart) -> list[dict]:
    hooks = ["--no-hooks"] if helm.major == 3 else []
    out = helm.run("template", "r", str(region_chart), *hooks,
                   *helm.post_renderer_args("--region=europe-example-region", f"--root={ROOT}"))
    return objects(out.stdout)


def test_region_render_pulls_every_image_from_the_region_registry(region_render):
    found = images(region_render)
    assert found
    assert [i for i in found if not i.startswith(REGISTRY)] == []


def test_region_render_labels_every_object_and_pod_template(region_render, raw_render):
    key, value = REGION_LABEL
    unlabelled = [f"{o['kind']}/{o['metadata']['name']}" for o in region_render
                  if (o["metadata"].get("labels") or {}).get(key) != value]
    assert unlabelled == []
    # Every chart object, the TLS Secret, and the hot-fix patch ConfigMaps
    # (added after the overlay, labelled like the workloads that mount them).
    patches = [o for o in region_render
               if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-patches")]
    assert patches and len(region_render) == len(objects(raw_render)) + 1 + len(patches)
    deployments = [o for o in region_render if o["kind"] == "Deployment"]
    assert deployments
    for deployment in deployments:
        assert deployment["spec"]["template"]["metadata"]["labels"][key] == value
        assert key not in deployment["spec"]["selector"]["matchLabels"]


def test_region_render_serves_the_region_certificate_on_every_ingress(region_render):
    secret = next(o for o in region_render if o["kind"] == "Secret" and o["metadata"]["name"] == TLS)
    assert secret["type"] == "kubernetes.io/tls"
    assert set(secret["data"]) == {"tls.crt", "tls.key"}
    ingresses = [o for o in region_render if o["kind"] == "Ingress"]
    assert ingresses
    assert {t["secretName"] for o in ingresses for t in o["spec"]["tls"]} == {TLS}


def test_region_render_runs_three_bigger_keystone_api_pods(region_render):
    api = next(o for o in region_render
               if o["kind"] == "Deployment" and o["metadata"]["name"] == "keystone-api")
    assert api["spec"]["replicas"] == 3
    (container,) = [c for c in api["spec"]["template"]["spec"]["containers"] if c["name"] == "api"]
    assert container["resources"] == {"requests": {"cpu": "500m", "memory": "512Mi"},
                                      "limits": {"memory": "1Gi"}}


def test_large_region_renders_alike_with_one_process_or_two(helm, region_chart, tmp_path):
    """60 hypervisors: a stream past the size where children parse its tail."""
    region = yaml.safe_load((ROOT / "charts" / "europe-example-region" / "values.yaml").read_text())
    hardware = region["global"]["hardware"]
    hardware["hypervisors"] = [{"hostname": f"kvm-{i:03d}", "zone": "europe-example-a",
                                "kind": "kvm"} for i in range(60)]
    values = tmp_path / "hypervisors.yaml"
    values.write_text(yaml.safe_dump({"global": {"hardware": hardware}}))
    hooks = ["--no-hooks"] if helm.major == 3 else []
    outputs = [helm.run("template", "r", str(region_chart), "-f", str(values), *hooks,
                        *helm.post_renderer_args("--region=europe-example-region",
                                                 f"--root={ROOT}"),
                        env={"OSH_POSTRENDER_JOBS": jobs}).stdout for jobs in ("1", "2")]
    assert len(outputs[0]) > (1 << 20)
    assert outputs[0] == outputs[1]
    assert sum(o["kind"] == "DaemonSet" for o in objects(outputs[0])) > 120


@pytest.mark.parametrize("version", ["1.30.0", "1.33.0"])
def test_region_render_passes_kubernetes_validate_strict(region_render, version):
    for obj in region_render:
        kubernetes_validate.validate(obj, version, strict=True)


def test_helm3_show_only_finds_the_patched_template(helm3, region_chart):
    out = helm3.run("template", "r", str(region_chart), "--show-only",
                    "charts/openstack/charts/keystone/templates/deployment-api.yaml",
                    *helm3.post_renderer_args("--region=europe-example-region", f"--root={ROOT}"))
    (api,) = objects(out.stdout)
    assert api["metadata"]["name"] == "keystone-api" and api["spec"]["replicas"] == 3
