"""The hot-fix stage between the real Helm 3 / Helm 4 and a small region chart."""
from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

CHART = ROOT / "tests" / "hotfix" / "chart"
OVERLAY = ROOT / "tests" / "hotfix" / "overlay"
HELM4_FILENAME = "postrenderer.helm.sh/postrender-filename"
CHECKSUM = "hotfix.openstack-helm.org/patches-checksum"


def objects(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def find(objs: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def patch_files(*dirs: Path) -> dict[str, str]:
    return {p.name: p.read_text() for d in dirs for p in sorted(d.glob("*.patch"))}


@pytest.fixture(scope="module")
def renders(helm):
    plain = objects(helm.run("template", "r", str(CHART)).stdout)
    hooks = ["--no-hooks"] if helm.major == 3 else []
    filtered = objects(helm.run("template", "r", str(CHART), *hooks, *helm.post_renderer_args(
        f"--root={ROOT}", f"--overlay={OVERLAY}")).stdout)
    return plain, filtered


def test_region_render_has_nova_and_neutron_patch_configmaps(renders):
    _, objs = renders
    nova = find(objs, "ConfigMap", "nova-patches")
    chart_patch = (CHART / "files" / "0000-chart-api-log.patch").read_text()
    # The chart's own ConfigMap, merged into: its key first, then project-wide and region patches.
    assert nova["data"] == {"0000-chart-api-log.patch": chart_patch,
                            **patch_files(ROOT / "patches" / "nova", OVERLAY / "patches" / "nova")}
    assert list(nova["data"]) == sorted(nova["data"])
    neutron = find(objs, "ConfigMap", "neutron-patches")
    assert neutron["data"] == patch_files(ROOT / "patches" / "neutron")
    assert neutron["metadata"]["labels"]["app.kubernetes.io/instance"] == "r"
    assert len([o for o in objs if o["kind"] == "ConfigMap"
                and o["metadata"]["name"] == "nova-patches"]) == 1


def mounts_by_container(obj: dict) -> dict[str, list[str]]:
    spec = obj["spec"]["template"]["spec"]
    return {c["name"]: [m["mountPath"] for m in c.get("volumeMounts", [])]
            for c in spec["containers"]}


def test_mounts_land_on_the_components_kolla_containers_only(renders):
    plain, objs = renders
    assert mounts_by_container(find(objs, "Deployment", "nova-api")) == {
        "api": ["/var/lib/osh/start", "/nova-patches"], "metrics": []}
    assert mounts_by_container(find(objs, "DaemonSet", "nova-compute")) == {
        "compute": ["/var/lib/osh/start", "/nova-patches"]}
    assert mounts_by_container(find(objs, "DaemonSet", "neutron-l3-agent")) == {
        "l3-agent": ["/var/lib/osh/start", "/neutron-patches"], "openvswitch": []}
    assert find(objs, "Deployment", "keystone-api") == find(plain, "Deployment", "keystone-api")
    for kind, name in (("Deployment", "nova-api"), ("DaemonSet", "neutron-l3-agent")):
        volume_mount = next(m for m in find(objs, kind, name)["spec"]["template"]["spec"]
                            ["containers"][0]["volumeMounts"] if m["mountPath"].endswith("-patches"))
        assert volume_mount["readOnly"] is True


def test_patched_pod_templates_carry_the_patch_checksum(renders):
    _, objs = renders
    def checksum(kind, name):
        return find(objs, kind, name)["spec"]["template"]["metadata"].get("annotations", {}).get(CHECKSUM)
    assert checksum("Deployment", "nova-api") == checksum("DaemonSet", "nova-compute")
    assert checksum("DaemonSet", "neutron-l3-agent") not in (None, checksum("Deployment", "nova-api"))
    assert checksum("Deployment", "keystone-api") is None


def test_hook_job_sees_the_patches_only_under_helm4(helm, renders):
    _, objs = renders
    jobs = [o for o in objs if o["kind"] == "Job"]
    if helm.major == 3:
        assert jobs == []  # --no-hooks: Helm 3 never hands hooks to a post-renderer anyway
        return
    [job] = jobs
    assert job["spec"]["template"]["spec"]["volumes"] == [
        {"name": "nova-patches", "configMap": {"name": "nova-patches", "optional": True}}]


@pytest.mark.parametrize("version", ["1.30.0", "1.33.0"])
def test_region_render_passes_kubernetes_validate_strict(renders, version):
    _, objs = renders
    for obj in objs:
        assert HELM4_FILENAME not in (obj["metadata"].get("annotations") or {})
        kubernetes_validate.validate(obj, version, strict=True)


def test_bad_patch_fails_helm_and_the_log_names_the_file(helm, tmp_path):
    overlay = tmp_path / "overlay"
    (overlay / "patches" / "nova").mkdir(parents=True)
    (overlay / "hotfix.yaml").write_text("patchDirs: [patches]\n")
    (overlay / "patches" / "nova" / "0001-broken.patch").write_text("--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n")
    log = tmp_path / "postrender.log"
    result = helm.run("template", "r", str(CHART), "--no-hooks", *helm.post_renderer_args(
        f"--root={tmp_path}", f"--overlay={overlay}"), check=False,
        env={"OSH_POSTRENDER_LOG": str(log)})
    assert result.returncode != 0
    assert "patches/nova/0001-broken.patch:3: malformed diff" in log.read_text()
