"""The region renders with Helm 3 and 4, and its output is valid, current,
labelled, placement-free and deterministic; through osh-postrender too."""
from __future__ import annotations


import kubernetes_validate
import pytest

from tests.charts.conftest import REGION, documents

ALLOWED_APIS = {"v1", "apps/v1", "batch/v1", "networking.k8s.io/v1", "policy/v1"}
STANDARD_LABELS = ("name", "component", "instance", "part-of", "managed-by")
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


@pytest.fixture(scope="session")
def region_text(chart_tree) -> str:
    return chart_tree.rendered(REGION)


@pytest.fixture(scope="session")
def region_objects(region_text) -> list[dict]:
    return documents(region_text)


def pod_spec(obj: dict) -> dict:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def test_region_renders_every_component(region_objects):
    kinds = {(o["kind"], o["metadata"]["name"]) for o in region_objects}
    for expected in [("StatefulSet", "postgresql"), ("StatefulSet", "rabbitmq"),
                     ("Deployment", "memcached"), ("Deployment", "keystone-api"),
                     ("Service", "keystone-api"), ("Ingress", "keystone"),
                     ("Secret", "openstack-tls")]:
        assert expected in kinds


@pytest.mark.parametrize("version", ["1.30.0", "1.33.0"])
def test_region_output_passes_kubernetes_validate_strict(region_objects, version):
    for obj in region_objects:
        kubernetes_validate.validate(obj, version, strict=True)


def test_region_output_uses_only_current_apis(region_objects):
    assert {o["apiVersion"] for o in region_objects} <= ALLOWED_APIS


def test_every_object_carries_the_standard_labels(region_objects):
    for obj in region_objects:
        labels = obj["metadata"].get("labels", {})
        missing = [k for k in STANDARD_LABELS if f"app.kubernetes.io/{k}" not in labels]
        assert not missing, f"{obj['kind']}/{obj['metadata']['name']} lacks {missing}"
        assert labels["app.kubernetes.io/part-of"] == "openstack"


def test_every_pod_template_carries_service_and_component_labels(region_objects):
    for obj in region_objects:
        if obj["kind"] in POD_TEMPLATE_KINDS:
            labels = obj["spec"]["template"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/name"] and labels["app.kubernetes.io/component"]


def test_charts_carry_no_placement(region_objects):
    for obj in region_objects:
        if obj["kind"] in POD_TEMPLATE_KINDS:
            spec = pod_spec(obj)
            for key in ("tolerations", "nodeSelector", "affinity", "topologySpreadConstraints"):
                assert key not in spec, f"{obj['kind']}/{obj['metadata']['name']}: {key}"


def test_region_render_is_deterministic(chart_tree, region_text):
    assert chart_tree.template(REGION).stdout == region_text


def test_kolla_containers_start_through_the_images_own_entrypoint(region_objects):
    """No command or args: Kolla's ENTRYPOINT (dumb-init, which reaps orphans) runs its
    CMD kolla_start, and nothing of a former start-up wrapper is left. An init
    container may run a one-shot command of its own (ironic's state dirs):
    it starts no process that outlives it."""
    kolla = 0
    for obj in region_objects:
        if obj["kind"] not in POD_TEMPLATE_KINDS:
            continue
        spec = pod_spec(obj)
        one_shot = [c for c in spec.get("initContainers", []) if "command" in c]
        for container in spec["containers"] + spec.get("initContainers", []):
            if "/openstack.kolla/" not in container["image"] or container in one_shot:
                continue
            kolla += 1
            assert "command" not in container and "args" not in container, obj["metadata"]["name"]
            assert {"name": "KOLLA_CONFIG_STRATEGY", "value": "COPY_ALWAYS"} in container["env"]
        assert not [v for v in spec.get("volumes", []) if v["name"] == "osh-start"]
    assert kolla >= 3  # keystone api, db-sync, bootstrap
    assert not [o for o in region_objects if o["metadata"]["name"] == "osh-start"]


def test_kolla_jobs_skip_the_images_extend_start(region_objects):
    """A Job runs a one-off command, not the image's service: the image's
    extend_start must not run (keystone's appends Apache's -DFOREGROUND to
    `keystone-manage db_sync`, which then exits 2). Services keep it."""
    skip = {"name": "KOLLA_SKIP_EXTEND_START", "value": "true"}
    jobs = services = 0
    for obj in region_objects:
        if obj["kind"] not in POD_TEMPLATE_KINDS:
            continue
        for container in pod_spec(obj)["containers"]:
            if "/openstack.kolla/" not in container["image"]:
                continue
            if obj["kind"] == "Job":
                jobs += 1
                assert skip in container["env"], f"Job/{obj['metadata']['name']}: {container['name']}"
            else:
                services += 1
                assert skip not in container["env"], f"{obj['kind']}/{obj['metadata']['name']}"
    assert jobs >= 12 and services >= 20


def test_claim_templates_carry_nothing_a_chart_version_changes(region_objects):
    """volumeClaimTemplates are immutable: a label with the chart's version
    would fail the first upgrade to a new version."""
    statefulsets = [o for o in region_objects if o["kind"] == "StatefulSet"]
    assert len(statefulsets) >= 3
    for obj in statefulsets:
        for claim in obj["spec"].get("volumeClaimTemplates", []):
            labels = claim["metadata"].get("labels", {})
            assert "helm.sh/chart" not in labels, f"StatefulSet/{obj['metadata']['name']}"
            assert not any("0.1.0" in str(v) for v in labels.values()), labels


def test_every_liveness_probe_waits_for_a_startup_probe(region_objects):
    """A first start on a busy node may take minutes; liveness must not kill it."""
    probed = 0
    for obj in region_objects:
        if obj["kind"] not in POD_TEMPLATE_KINDS:
            continue
        for container in pod_spec(obj)["containers"]:
            if "livenessProbe" in container:
                probed += 1
                where = f"{obj['kind']}/{obj['metadata']['name']}: {container['name']}"
                assert "startupProbe" in container, where
                startup = container["startupProbe"]
                assert startup["periodSeconds"] * startup["failureThreshold"] >= 300, where
    assert probed >= 15


def test_every_job_is_named_after_its_final_template_by_the_post_renderer(region_objects):
    jobs = [o for o in region_objects if o["kind"] == "Job"]
    assert len(jobs) >= 12
    for obj in jobs:
        base = obj["metadata"].get("annotations", {}).get("openstack-helm.org/job-name")
        assert base and obj["metadata"]["name"].startswith(base), obj["metadata"]["name"]


def test_images_come_from_the_global_registry(chart_tree):
    objects = chart_tree.render(REGION, "--set", "global.image.registry=registry.example.net",
                                "--set", "global.upstream_image.registry=mirror.example.net")
    images = [c["image"] for o in objects if o["kind"] in POD_TEMPLATE_KINDS
              for c in pod_spec(o)["containers"]]
    assert images
    assert all(i.startswith(("registry.example.net/openstack.kolla/", "mirror.example.net/library/"))
               for i in images), images
    assert "registry.example.net/openstack.kolla/keystone:2025.1-ubuntu-noble" in images


def test_region_renders_through_osh_postrender(chart_tree, region_objects):
    objects = documents(chart_tree.rendered(
        REGION, *chart_tree.helm.post_renderer_args(f"--region={REGION}")))
    # The post-renderer names the charts' Jobs after their final pod template.
    def key(obj: dict) -> tuple[str, str]:
        base = obj["metadata"].get("annotations", {}).get("openstack-helm.org/job-name")
        return obj["kind"], base or obj["metadata"]["name"]
    assert {key(o) for o in objects} >= {key(o) for o in region_objects}
    for obj in objects:
        for version in ("1.30.0", "1.33.0"):
            kubernetes_validate.validate(obj, version, strict=True)
    assert {o["apiVersion"] for o in objects} <= ALLOWED_APIS
