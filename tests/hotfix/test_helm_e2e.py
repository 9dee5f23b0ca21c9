"""The hot-fix stage between the real Helm 3 / Helm 4 and a small region chart."""
from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from postrender.hotfix.initcontainer import SCRIPT, SCRIPT_KEY
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
    # The chart's own ConfigMap, merged into: its key first, then project-wide and
    # region patches, then the init container's program.
    assert nova["data"] == {"0000-chart-api-log.patch": chart_patch,
                            **patch_files(ROOT / "patches" / "nova", OVERLAY / "patches" / "nova"),
                            SCRIPT_KEY: SCRIPT}
    patch_keys = [k for k in nova["data"] if k.endswith(".patch")]
    assert patch_keys == sorted(patch_keys)
    neutron = find(objs, "ConfigMap", "neutron-patches")
    assert neutron["data"] == {**patch_files(ROOT / "patches" / "neutron"), SCRIPT_KEY: SCRIPT}
    assert neutron["metadata"]["labels"]["app.kubernetes.io/instance"] == "r"
    assert len([o for o in objs if o["kind"] == "ConfigMap"
                and o["metadata"]["name"] == "nova-patches"]) == 1


def layout(obj: dict) -> dict[str, tuple]:
    """{container: (image name, site-packages entries mounted)} for init and regular containers."""
    spec = obj["spec"]["template"]["spec"]
    return {c["name"]: (c["image"].rsplit("/", 1)[-1].split(":")[0],
                        [m["subPath"] for m in c.get("volumeMounts", []) if "subPath" in m])
            for c in spec.get("initContainers", []) + spec["containers"]}


def test_the_init_container_and_mounts_land_on_the_components_kolla_containers_only(renders):
    plain, objs = renders
    # Ours first, before the chart's own init containers; the chart's nova init gets the copy.
    assert layout(find(objs, "Deployment", "nova-api")) == {
        "hotfix": ("nova-api", []), "wait": ("kubernetes-entrypoint", []),
        "db-check": ("nova-api", ["nova"]), "api": ("nova-api", ["nova"]), "metrics": ("nginx", [])}
    assert [c["name"] for c in find(objs, "Deployment", "nova-api")["spec"]["template"]["spec"]
            ["initContainers"]] == ["hotfix", "wait", "db-check"]
    # nova-libvirt has no nova venv (Kolla builds it FROM base): nothing for it.
    assert layout(find(objs, "DaemonSet", "nova-compute")) == {
        "hotfix": ("nova-compute", []), "compute": ("nova-compute", ["nova"]),
        "libvirt": ("nova-libvirt", [])}
    assert layout(find(objs, "DaemonSet", "neutron-l3-agent")) == {
        "hotfix": ("neutron-l3-agent", []), "l3-agent": ("neutron-l3-agent", ["neutron"]),
        "openvswitch": ("openvswitch-vswitchd", [])}
    assert find(objs, "Deployment", "keystone-api") == find(plain, "Deployment", "keystone-api")
    init = find(objs, "Deployment", "nova-api")["spec"]["template"]["spec"]["initContainers"][0]
    assert init["command"] == ["python3", f"/var/lib/osh/hotfix/nova-patches/{SCRIPT_KEY}"]
    assert init["args"] == ["nova"]
    for obj in (find(objs, "Deployment", "nova-api"), find(objs, "DaemonSet", "neutron-l3-agent")):
        for container in obj["spec"]["template"]["spec"]["containers"]:
            for mount in container.get("volumeMounts", []):
                assert mount["readOnly"] is True
                assert mount["mountPath"].startswith("/var/lib/kolla/venv/lib/python3/site-packages/")


def test_patched_pod_templates_carry_the_patch_checksum(renders):
    _, objs = renders
    def checksum(kind, name):
        return find(objs, kind, name)["spec"]["template"]["metadata"].get("annotations", {}).get(CHECKSUM)
    assert checksum("Deployment", "nova-api") == checksum("DaemonSet", "nova-compute")
    assert checksum("DaemonSet", "neutron-l3-agent") not in (None, checksum("Deployment", "nova-api"))
    assert checksum("Deployment", "keystone-api") is None


def test_helm4_hooks_are_hot_fixed_only_when_they_run_after_the_release(helm, renders):
    plain, objs = renders
    jobs = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Job"}
    if helm.major == 3:
        assert jobs == {}  # --no-hooks: Helm 3 never hands hooks to a post-renderer anyway
        return
    # pre-install/pre-upgrade: may run before the patch ConfigMaps exist, left alone.
    assert jobs["nova-db-sync"] == find(plain, "Job", "nova-db-sync")
    spec = jobs["nova-cell-check"]["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["hotfix"]
    assert {"name": "nova-patches", "configMap": {"name": "nova-patches"}} in spec["volumes"]


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
