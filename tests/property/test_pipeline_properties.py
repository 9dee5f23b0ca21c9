"""Property tests: a region's whole pipeline (overlay, hot-fix, placement) on random streams.

For every stream: the output parses, the input documents keep their count and
order (stages may only append new objects), the pipeline is idempotent, and
documents no stage is meant to change come out byte for byte.
"""
from __future__ import annotations

import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postrender import pipeline, stream, yamlio
from postrender.diagnostics import Diagnostics
from postrender.overlaydir import OverlayDir
from tests.conftest import ROOT

KOLLA = "quay.io/openstack.kolla"
WORKLOADS = [  # (service, component, image)
    ("nova", "compute", "nova-compute"), ("nova", "api", "nova-api"),
    ("neutron", "l3-agent", "neutron-l3-agent"), ("keystone", "api", "keystone"),
]
KINDS = {"Deployment": "apps/v1", "DaemonSet": "apps/v1", "StatefulSet": "apps/v1",
         "Job": "batch/v1", "CronJob": "batch/v1"}
TRICKY = st.sampled_from(["1.0", "yes", "NO", "0755", "2024-01-01", "y", "~", "", "a: b",
                          "multi\nline\n", "ünïcødé ✓", "trailing ", "#x"])


@pytest.fixture(scope="module")
def overlay_dir(tmp_path_factory) -> OverlayDir:
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "placement", root / "placement")
    shutil.copytree(ROOT / "patches", root / "patches")
    overlay = root / "overlays" / "r"
    overlay.mkdir(parents=True)
    (overlay / "placement.yaml").write_text("include: [../../placement/base.yaml]\n")
    (overlay / "hotfix.yaml").write_text("patchDirs: [../../patches]\n")
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump({
        "images": [{"name": f"{KOLLA}/nova-api", "newName": "registry.example/kolla/nova-api",
                    "newTag": "2025.1-r1"}],
        "patches": [{"target": {"kind": "Deployment"}, "patch": yaml.safe_dump({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "any"},
            "spec": {"template": {"metadata": {"annotations": {"region": "r"}}}}})}],
    }))
    return OverlayDir(overlay, root)


@st.composite
def workload(draw, index: int) -> dict:
    kind = draw(st.sampled_from(sorted(KINDS)))
    service, component, image = draw(st.sampled_from(WORKLOADS))
    labels = {"app.kubernetes.io/name": service, "app.kubernetes.io/component": component}
    pod = {"metadata": {"labels": labels},
           "spec": {"containers": [{"name": component, "image": f"{KOLLA}/{image}:2025.1",
                                    "env": [{"name": "V", "value": draw(TRICKY)}]}]}}
    if kind in ("Job", "CronJob"):
        pod["spec"]["restartPolicy"] = "OnFailure"
    spec: dict = {"template": pod}
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        spec["selector"] = {"matchLabels": labels}
    if kind in ("Deployment", "StatefulSet"):
        spec["replicas"] = draw(st.integers(1, 3))
    if kind == "CronJob":
        spec = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": spec}}
    return {"apiVersion": KINDS[kind], "kind": kind,
            "metadata": {"name": f"{service}-{component}-{index}", "labels": labels}, "spec": spec}


@st.composite
def streams(draw):
    objs = []
    for i in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            objs.append(draw(workload(i)))
        else:
            objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"},
                         "data": draw(st.dictionaries(TRICKY, TRICKY, max_size=3))})
    return objs


def render(overlay_dir: OverlayDir, text: str) -> str:
    stages = pipeline.build(overlay_dir)
    return stream.emit(pipeline.run(stages, stream.parse(text), Diagnostics()))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(streams())
def test_region_pipeline_is_idempotent_and_keeps_order_and_untouched_text(overlay_dir, objs):
    text = "".join("---\n" + yaml.safe_dump(o, sort_keys=False, allow_unicode=True) for o in objs)
    once = render(overlay_dir, text)
    out = [o for o in yaml.load_all(once, Loader=yamlio.Loader)]
    assert [(o["kind"], o["metadata"]["name"].split("-hf")[0]) for o in out[:len(objs)]] == \
        [(o["kind"], o["metadata"]["name"]) for o in objs]
    assert all(o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-patches")
               for o in out[len(objs):])
    assert render(overlay_dir, once) == once
    for obj in out[:len(objs)]:
        if obj["kind"] == "ConfigMap":
            continue
        pod = obj["spec"]["jobTemplate"]["spec"]["template"] if obj["kind"] == "CronJob" \
            else obj["spec"]["template"]
        component = pod["metadata"]["labels"]["app.kubernetes.io/component"]
        service = pod["metadata"]["labels"]["app.kubernetes.io/name"]
        tolerations = pod["spec"].get("tolerations", [])
        assert ({"key": "species", "operator": "Equal", "value": "hypervisor",
                 "effect": "NoSchedule"} in tolerations) == (component == "compute")
        image = pod["spec"]["containers"][0]["image"]
        assert image.startswith("registry.example/kolla/nova-api:2025.1-r1") == \
            (service == "nova" and component == "api")
        assert (pod["metadata"].get("annotations", {}).get("region") == "r") == \
            (obj["kind"] == "Deployment")
    for doc in stream.parse(text):
        if doc.kind == "ConfigMap":
            assert doc.text in once  # no stage is meant to touch a plain ConfigMap
