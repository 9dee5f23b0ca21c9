"""The hot-fix stage on parsed streams: ConfigMaps, mounts, checksums, splitting."""
from __future__ import annotations

import copy
import fnmatch

import kubernetes_validate
import pytest
import yaml

from postrender import hotfix, pipeline, stream
from postrender.diagnostics import Diagnostics
from postrender.errors import ConfigError
from postrender.hotfix import configmap, initcontainer, mount
from postrender.hotfix.initcontainer import SCRIPT, SCRIPT_KEY
from postrender.overlaydir import OverlayDir
from tests.conftest import postrender, third_party

KOLLA = "quay.io/openstack.kolla"
CHECKSUM = mount.CHECKSUM
GLOB = "/var/lib/osh/hotfix/*-patches/*.patch"   # what the init container applies
SITE = "/var/lib/kolla/venv/lib/python3/site-packages"


def diff(name: str, marker: str, lines: int = 1) -> str:
    """A valid unified diff adding `lines` lines to nova/<name>."""
    added = "".join(f"+{marker} {i}\n" for i in range(lines))
    return f"--- a/{name}\n+++ b/{name}\n@@ -1,1 +1,{lines + 1} @@\n context\n{added}"


NOVA = {"0001-compute.patch": diff("nova/compute/manager.py", "fix"),
        "0002-scheduler.patch": diff("nova/scheduler/utils.py", "fix")}
NEUTRON = {"0001-l3.patch": diff("neutron/agent/l3/agent.py", "fix")}


def pod(labels: dict, containers: list[dict], init: list[dict] | None = None) -> dict:
    spec = {"containers": containers}
    if init:
        spec["initContainers"] = init
    return {"metadata": {"labels": labels}, "spec": spec}


def deployment(name: str, component: str, containers: list[dict], **extra) -> dict:
    labels = {"app.kubernetes.io/name": component, "app.kubernetes.io/component": "api"}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": {**labels, "app.kubernetes.io/instance": "r1",
                                                  "app.kubernetes.io/part-of": "openstack",
                                                  "app.kubernetes.io/managed-by": "Helm"}},
            "spec": {"selector": {"matchLabels": labels},
                     "template": pod(labels, containers, **extra)}}


def container(name: str, image: str, **extra) -> dict:
    return {"name": name, "image": image, **extra}


def region_stream() -> list[dict]:
    nova_api = deployment("nova-api", "nova", [container("nova-api", f"{KOLLA}/nova-api:2025.1"),
                                               container("proxy", "docker.io/library/nginx:1.27")],
                          init=[container("wait", "quay.io/airshipit/kubernetes-entrypoint:v1")])
    l3 = deployment("neutron-l3-agent", "neutron", [container("l3", f"{KOLLA}/neutron-l3-agent:2025.1")])
    l3["kind"] = "DaemonSet"
    del l3["spec"]["selector"]
    l3["spec"]["selector"] = {"matchLabels": l3["spec"]["template"]["metadata"]["labels"]}
    keystone = deployment("keystone-api", "keystone", [container("api", f"{KOLLA}/keystone:2025.1")])
    placement = deployment("placement-api", "placement", [container("api", f"{KOLLA}/nova-api:2025.1")])
    cron = {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "nova-cell-setup"},
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": pod(
                {"app.kubernetes.io/name": "nova", "app.kubernetes.io/component": "cell-setup"},
                [container("cell-setup", f"{KOLLA}/nova-conductor:2025.1")])}}}}
    cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    return [nova_api, l3, keystone, placement, cron]


def to_text(objs: list[dict]) -> str:
    return "".join("---\n" + yaml.safe_dump(o, sort_keys=False) for o in objs)


def make_project(tmp_path, nova=NOVA, neutron=NEUTRON, extra: str = "") -> OverlayDir:
    root = tmp_path / "project"
    for component, files in (("nova", nova), ("neutron", neutron)):
        for name, text in files.items():
            path = root / "patches" / component / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    overlay = root / "overlays" / "r"
    overlay.mkdir(parents=True)
    (overlay / "hotfix.yaml").write_text("patchDirs: [../../patches]\n" + extra)
    return OverlayDir(overlay, root)


def render(overlay: OverlayDir, objs_or_text) -> tuple[list[dict], Diagnostics, str]:
    text = objs_or_text if isinstance(objs_or_text, str) else to_text(objs_or_text)
    diagnostics = Diagnostics()
    # Through pipeline.run: the suite's touch() verification checks every change.
    docs = pipeline.run([hotfix.load(overlay)], stream.parse(text), diagnostics)
    out = stream.emit(docs)
    return [d for d in yaml.safe_load_all(out) if d], diagnostics, out


def find(objs: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def spec_of(obj: dict) -> dict:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def annotations_of(obj: dict) -> dict:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["metadata"].get("annotations", {})
    return obj["spec"]["template"]["metadata"].get("annotations", {})


def named_container(obj: dict, container_name: str) -> dict:
    spec = spec_of(obj)
    for c in spec.get("initContainers", []) + spec["containers"]:
        if c["name"] == container_name:
            return c
    raise KeyError(container_name)


def mounts(obj: dict, container_name: str) -> list[dict]:
    return named_container(obj, container_name).get("volumeMounts", [])


def site_mount(entry: str, volume: str = "hotfix-site-packages") -> dict:
    return {"name": volume, "mountPath": f"{SITE}/{entry}", "subPath": entry, "readOnly": True}


def test_each_component_with_patches_gets_its_configmap(tmp_path):
    objs, diagnostics, _ = render(make_project(tmp_path), region_stream())
    nova = find(objs, "ConfigMap", "nova-patches")
    assert nova["data"] == {**NOVA, SCRIPT_KEY: SCRIPT}
    assert find(objs, "ConfigMap", "neutron-patches")["data"] == {**NEUTRON, SCRIPT_KEY: SCRIPT}
    assert nova["metadata"]["labels"] == {
        "app.kubernetes.io/name": "nova", "app.kubernetes.io/component": "hotfix-patches",
        "app.kubernetes.io/instance": "r1", "app.kubernetes.io/part-of": "openstack",
        "app.kubernetes.io/managed-by": "Helm"}
    assert not [o for o in objs if o["kind"] == "ConfigMap" and "keystone" in o["metadata"]["name"]]
    assert diagnostics.findings == []


def test_configmap_carries_the_labels_all_its_workloads_share(tmp_path):
    objs = region_stream()
    nova = [o for o in objs if (o["metadata"].get("labels") or {}).get(
        "app.kubernetes.io/name") == "nova" or o["metadata"]["name"].startswith("nova")]
    for i, obj in enumerate(nova):  # the region's label on all, a node's on each
        labels = obj["metadata"].setdefault("labels", {})
        labels.update({"openstack-helm.org/region": "europe-example", "example.org/node": f"n{i}"})
    rendered, _, _ = render(make_project(tmp_path), objs)
    labels = find(rendered, "ConfigMap", "nova-patches")["metadata"]["labels"]
    assert labels["openstack-helm.org/region"] == "europe-example"
    assert labels["app.kubernetes.io/name"] == "nova"
    assert labels["app.kubernetes.io/component"] == "hotfix-patches"
    assert "example.org/node" not in labels


def test_the_init_container_copies_and_patches_as_the_image_user_with_no_privilege(tmp_path):
    objs, _, _ = render(make_project(tmp_path), region_stream())
    api = find(objs, "Deployment", "nova-api")
    assert [c["name"] for c in spec_of(api)["initContainers"]] == ["hotfix", "wait"]
    assert named_container(api, "hotfix") == {
        "name": "hotfix",
        "image": f"{KOLLA}/nova-api:2025.1",
        "command": ["python3", f"/var/lib/osh/hotfix/nova-patches/{SCRIPT_KEY}"],
        "args": ["nova"],
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": True,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": [
            {"name": "nova-patches", "mountPath": "/var/lib/osh/hotfix/nova-patches", "readOnly": True},
            {"name": "hotfix-site-packages", "mountPath": "/var/lib/osh/hotfix/site-packages"}]}
    assert spec_of(api)["volumes"] == [{"name": "nova-patches", "configMap": {"name": "nova-patches"}},
                                       {"name": "hotfix-site-packages", "emptyDir": {}}]
    # Where a reader looks for it when the chart has none: before the containers.
    assert list(spec_of(find(objs, "DaemonSet", "neutron-l3-agent")))[:2] == ["initContainers",
                                                                              "containers"]


def test_the_init_container_requests_no_more_cpu_than_the_container_it_serves(tmp_path):
    # The pod's effective request is the larger of init and regular: a small
    # node (the live cluster asks 10m of each) must not fill up with copies.
    objs = region_stream()
    api = find(objs, "Deployment", "nova-api")
    served = next(c for c in spec_of(api)["containers"] if c["image"].endswith("/nova-api:2025.1"))
    served["resources"] = {"requests": {"cpu": "10m", "memory": "256Mi"}}
    rendered, _, _ = render(make_project(tmp_path), objs)
    hotfix = named_container(find(rendered, "Deployment", "nova-api"), "hotfix")
    assert hotfix["resources"]["requests"] == {"cpu": "10m", "memory": "64Mi"}


def test_only_kolla_containers_of_the_component_mount_the_patched_copy_read_only(tmp_path):
    objs, _, _ = render(make_project(tmp_path), region_stream())
    api = find(objs, "Deployment", "nova-api")
    assert mounts(api, "nova-api") == [site_mount("nova")]
    assert mounts(api, "proxy") == [] and mounts(api, "wait") == []
    l3 = find(objs, "DaemonSet", "neutron-l3-agent")
    assert mounts(l3, "l3") == [site_mount("neutron")]
    assert named_container(l3, "hotfix")["image"] == f"{KOLLA}/neutron-l3-agent:2025.1"
    # A Kolla nova image under another component's label is not nova's workload.
    for name in ("keystone-api", "placement-api"):
        assert find(objs, "Deployment", name) == find(region_stream(), "Deployment", name)


def test_the_init_container_runs_as_the_user_of_the_container_it_serves_without_its_privileges(tmp_path):
    objs = region_stream()
    objs[0]["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {
        "privileged": True, "runAsUser": 42436, "runAsGroup": 42436, "readOnlyRootFilesystem": False}
    out, _, _ = render(make_project(tmp_path), objs)
    security = named_container(find(out, "Deployment", "nova-api"), "hotfix")["securityContext"]
    assert security["runAsUser"] == 42436 and security["runAsGroup"] == 42436
    assert "privileged" not in security and security["readOnlyRootFilesystem"] is True


def test_every_top_level_entry_a_patch_touches_is_copied_and_mounted(tmp_path):
    nova = {**NOVA, "0003-vif.patch": diff("os_vif/__init__.py", "fix") + diff("six.py", "fix")}
    objs, _, _ = render(make_project(tmp_path, nova=nova), region_stream())
    api = find(objs, "Deployment", "nova-api")
    assert named_container(api, "hotfix")["args"] == ["nova", "os_vif", "six.py"]
    assert mounts(api, "nova-api") == [site_mount("nova"), site_mount("os_vif"), site_mount("six.py")]


def test_nova_libvirt_gets_nothing_so_a_nova_patch_never_restarts_the_guests(tmp_path):
    libvirt = deployment("nova-libvirt", "nova", [container("libvirt", f"{KOLLA}/nova-libvirt:2025.1")])
    libvirt["kind"] = "DaemonSet"
    objs, _, _ = render(make_project(tmp_path), [*region_stream(), libvirt])
    assert find(objs, "DaemonSet", "nova-libvirt") == libvirt


def test_the_cronjob_pod_template_gets_the_init_container_mounts_and_checksum(tmp_path):
    objs, _, _ = render(make_project(tmp_path), region_stream())
    cron = find(objs, "CronJob", "nova-cell-setup")
    assert [c["name"] for c in spec_of(cron)["initContainers"]] == ["hotfix"]
    assert mounts(cron, "cell-setup") == [site_mount("nova")]
    assert annotations_of(cron)[CHECKSUM] == annotations_of(find(objs, "Deployment", "nova-api"))[CHECKSUM]


def test_each_distinct_image_gets_its_own_init_container_and_copy(tmp_path):
    """A copy is only right for the image it was made from."""
    objs = region_stream()
    objs[0]["spec"]["template"]["spec"]["containers"].append(
        container("metadata", f"{KOLLA}/nova-api:2025.2"))
    objs[0]["spec"]["template"]["spec"]["containers"].append(
        container("api-2", f"{KOLLA}/nova-api:2025.1"))
    out, _, _ = render(make_project(tmp_path), objs)
    api = find(out, "Deployment", "nova-api")
    assert [(c["name"], c["image"]) for c in spec_of(api)["initContainers"]] == [
        ("hotfix", f"{KOLLA}/nova-api:2025.1"), ("hotfix-2", f"{KOLLA}/nova-api:2025.2"),
        ("wait", "quay.io/airshipit/kubernetes-entrypoint:v1")]
    assert mounts(api, "nova-api") == mounts(api, "api-2") == [site_mount("nova")]
    assert mounts(api, "metadata") == [site_mount("nova", "hotfix-2-site-packages")]
    assert mounts(api, "hotfix-2")[-1] == {"name": "hotfix-2-site-packages",
                                           "mountPath": "/var/lib/osh/hotfix/site-packages"}


def test_a_chart_init_container_of_the_component_runs_after_ours_and_sees_the_copy(tmp_path):
    objs = region_stream()
    objs[0]["spec"]["template"]["spec"]["initContainers"].append(
        container("db-check", f"{KOLLA}/nova-api:2025.1"))
    out, _, _ = render(make_project(tmp_path), objs)
    api = find(out, "Deployment", "nova-api")
    assert [c["name"] for c in spec_of(api)["initContainers"]] == ["hotfix", "wait", "db-check"]
    assert mounts(api, "db-check") == [site_mount("nova")]


def test_extra_kolla_image_patterns_from_hotfix_yaml(tmp_path):
    objs = region_stream()
    objs[0]["spec"]["template"]["spec"]["containers"][1]["image"] = "mirror.example.org/ours/nova-api:1"
    overlay = make_project(tmp_path, extra="kollaImages: ['mirror.example.org/ours/*']\n")
    out, _, _ = render(overlay, objs)
    api = find(out, "Deployment", "nova-api")
    assert mounts(api, "proxy") == [site_mount("nova", "hotfix-2-site-packages")]
    assert named_container(api, "hotfix-2")["image"] == "mirror.example.org/ours/nova-api:1"


@pytest.mark.parametrize("image, kolla", [
    ("quay.io/openstack.kolla/nova-api:2025.1-ubuntu-noble", True),
    ("kolla/nova-compute:2025.1", True),
    ("registry.example.org:5000/kolla/neutron-server@sha256:" + "a" * 64, True),
    ("quay.io/airshipit/nova:2026.1-ubuntu_noble", False),
    ("kolla.example.org/nova-api:1", False),
    ("docker.io/library/nginx:1.27", False),
])
def test_kolla_image_is_told_by_its_repository_path(image, kolla):
    assert mount.is_kolla_image(image) is kolla


def test_chart_configmap_of_the_same_name_is_merged_into(tmp_path):
    chart_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nova-patches"},
                 "data": {"0000-chart.patch": diff("nova/chart.py", "chart")}}
    objs, _, _ = render(make_project(tmp_path), [chart_map, *region_stream()])
    maps = [o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "nova-patches"]
    assert len(maps) == 1
    assert maps[0]["data"] == {**chart_map["data"], **NOVA, SCRIPT_KEY: SCRIPT}


def test_the_charts_own_patches_name_entries_to_copy_too(tmp_path):
    chart_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nova-patches"},
                 "data": {"0000-chart.patch": diff("os_brick/x.py", "chart")}}
    objs, _, _ = render(make_project(tmp_path), [chart_map, *region_stream()])
    assert named_container(find(objs, "Deployment", "nova-api"), "hotfix")["args"] == ["nova", "os_brick"]


def test_the_programs_key_in_the_charts_configmap_is_an_error(tmp_path):
    chart_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nova-patches"},
                 "data": {SCRIPT_KEY: "print('the chart's own')"}}
    with pytest.raises(ConfigError) as caught:
        render(make_project(tmp_path), [chart_map, *region_stream()])
    assert caught.value.field == f"data.{SCRIPT_KEY}"
    assert "the hot-fix init container's program needs that key" in str(caught.value)


def test_key_collision_with_the_chart_configmap_is_an_error(tmp_path):
    chart_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nova-patches"},
                 "data": {"0001-compute.patch": diff("nova/chart.py", "chart")}}
    with pytest.raises(ConfigError) as caught:
        render(make_project(tmp_path), [chart_map, *region_stream()])
    err = caught.value
    assert err.document == "document 1 ConfigMap/nova-patches"
    assert err.field == "data.0001-compute.patch"
    assert "patches/nova/0001-compute.patch" in str(err)


def test_a_volume_of_the_configmap_the_chart_already_has_is_reused(tmp_path):
    objs = region_stream()
    spec = objs[0]["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "hotfixes", "configMap": {"name": "nova-patches"}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "hotfixes", "mountPath": "/nova-patches"}]
    out, _, _ = render(make_project(tmp_path), objs)
    api = find(out, "Deployment", "nova-api")
    assert spec_of(api)["volumes"] == [*spec["volumes"], {"name": "hotfix-site-packages", "emptyDir": {}}]
    assert mounts(api, "hotfix")[0] == {"name": "hotfixes", "mountPath": "/var/lib/osh/hotfix/nova-patches",
                                        "readOnly": True}
    assert mounts(api, "nova-api") == [*spec["containers"][0]["volumeMounts"], site_mount("nova")]
    assert CHECKSUM in annotations_of(api)


@pytest.mark.parametrize("change, field", [
    (lambda spec: spec.update(volumes=[{"name": "nova-patches", "emptyDir": {}}]),
     "spec.template.spec.volumes[0]"),
    (lambda spec: spec.update(volumes=[{"name": "nova-patches", "configMap": {
        "name": "nova-patches", "items": [{"key": "0001-compute.patch", "path": "x.patch"}]}}]),
     "spec.template.spec.volumes[0]"),
    (lambda spec: spec.update(volumes=[{"name": "hotfix-site-packages", "hostPath": {"path": "/x"}}]),
     "spec.template.spec.volumes[0]"),
    (lambda spec: spec["initContainers"].append(container("hotfix", "busybox:1")),
     "spec.template.spec.initContainers[1]"),
    (lambda spec: spec["containers"].append(container("hotfix", "busybox:1")),
     "spec.template.spec.containers[2]"),
    (lambda spec: spec["containers"][0].update(volumeMounts=[{"name": "x", "mountPath": f"{SITE}/nova"}]),
     "spec.template.spec.containers[0].volumeMounts"),
])
def test_a_name_or_path_the_hotfix_needs_held_by_the_chart_is_an_error(tmp_path, change, field):
    objs = region_stream()
    change(objs[0]["spec"]["template"]["spec"])
    with pytest.raises(ConfigError) as caught:
        render(make_project(tmp_path), objs)
    assert caught.value.field == field
    assert caught.value.document == "document 1 Deployment/nova-api"


def test_stage_run_again_on_its_own_output_changes_nothing(tmp_path):
    overlay = make_project(tmp_path)
    _, _, once = render(overlay, region_stream())
    _, _, twice = render(overlay, once)
    assert twice == once


def checksums(objs: list[dict]) -> dict[str, str]:
    return {o["metadata"]["name"]: annotations_of(o).get(CHECKSUM)
            for o in objs if o["kind"] in ("Deployment", "DaemonSet", "CronJob")}


def test_changing_a_nova_patch_rolls_nova_pods_only(tmp_path):
    before = render(make_project(tmp_path / "a"), region_stream())[0]
    changed = {**NOVA, "0002-scheduler.patch": diff("nova/scheduler/utils.py", "better fix")}
    after_objs = render(make_project(tmp_path / "b", nova=changed), region_stream())[0]
    base, after = checksums(before), checksums(after_objs)
    assert after["nova-api"] != base["nova-api"] and after["nova-cell-setup"] != base["nova-cell-setup"]
    assert after["keystone-api"] is None and base["keystone-api"] is None
    # Every other pod template is the same, to the byte: only nova's pods roll.
    for kind, name in (("DaemonSet", "neutron-l3-agent"), ("Deployment", "keystone-api"),
                       ("Deployment", "placement-api")):
        assert find(after_objs, kind, name) == find(before, kind, name)
    # And nova's change in nothing but the checksum.
    for kind, name in (("Deployment", "nova-api"), ("CronJob", "nova-cell-setup")):
        old, new = find(before, kind, name), find(after_objs, kind, name)
        annotations_of(old).pop(CHECKSUM), annotations_of(new).pop(CHECKSUM)
        assert old == new


def test_nothing_but_patches_changes_the_checksum(tmp_path):
    overlay = make_project(tmp_path)
    base = checksums(render(overlay, region_stream())[0])
    objs = region_stream()
    objs[0]["spec"]["template"]["spec"]["containers"][0]["image"] = f"{KOLLA}/nova-api:2025.1.1"
    objs[0]["metadata"]["labels"]["app.kubernetes.io/instance"] = "other"
    objs[1]["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "DEBUG", "value": "1"}]
    assert checksums(render(overlay, objs)[0]) == base


def big_patches(count: int, lines: int) -> dict[str, str]:
    return {f"{i:04d}-big.patch": diff(f"nova/big_{i}.py", "x" * 100, lines) for i in range(count)}


def test_patches_past_one_mebibyte_are_split_over_numbered_configmaps(tmp_path):
    patches = big_patches(5, 3000)  # about 320 KB each: 1.6 MB in all
    objs, _, _ = render(make_project(tmp_path, nova=patches), region_stream())
    maps = {o["metadata"]["name"]: o for o in objs if o["kind"] == "ConfigMap"
            and o["metadata"]["name"].startswith("nova")}
    assert sorted(maps) == ["nova-2-patches", "nova-patches"]
    for config in maps.values():
        assert configmap.data_size(config["data"]) <= 1 << 20
        kubernetes_validate.validate(config, "1.30.0", strict=True)
    assert {k for m in maps.values() for k in m["data"]} == {*patches, SCRIPT_KEY}
    assert SCRIPT_KEY in maps["nova-patches"]["data"]  # the program: in the first part only
    # Apply order is kept: every patch of the first part sorts before the second's.
    first = [k for k in maps["nova-patches"]["data"] if k.endswith(".patch")]
    assert max(first) < min(maps["nova-2-patches"]["data"])
    api = find(objs, "Deployment", "nova-api")
    paths = [m["mountPath"] for m in mounts(api, "hotfix")]
    assert paths == ["/var/lib/osh/hotfix/nova-patches", "/var/lib/osh/hotfix/nova-2-patches",
                     "/var/lib/osh/hotfix/site-packages"]
    # Every patch lands where the init container's glob finds it.
    for name, config in maps.items():
        for key in config["data"]:
            assert fnmatch.fnmatchcase(f"/var/lib/osh/hotfix/{name}/{key}", GLOB) == key.endswith(".patch")
    assert {v["configMap"]["name"] for v in spec_of(api)["volumes"] if "configMap" in v} == set(maps)
    assert named_container(api, "hotfix")["args"] == ["nova"]


def test_a_single_patch_past_the_limit_is_an_error(tmp_path):
    overlay = make_project(tmp_path, nova=big_patches(1, 11000))
    with pytest.raises(ConfigError) as caught:
        render(overlay, region_stream())
    assert caught.value.file == "patches/nova/0000-big.patch"
    assert "ConfigMap limit" in str(caught.value)


def test_component_with_patches_but_no_workload_warns(tmp_path):
    objs = [o for o in region_stream() if o["metadata"]["name"] != "neutron-l3-agent"]
    _, diagnostics, _ = render(make_project(tmp_path), objs)
    [finding] = diagnostics.findings
    assert finding.strict
    assert "component 'neutron' has 1 patch(es)" in finding.message
    assert "app.kubernetes.io/name=neutron" in finding.message


def test_component_without_workload_fails_the_render_under_check(tmp_path):
    overlay = make_project(tmp_path)
    objs = [o for o in region_stream() if o["metadata"]["name"] != "neutron-l3-agent"]
    args = ("--root", str(overlay.root), "--region", "r")
    plain = postrender(to_text(objs), *args)
    assert plain.returncode == 0 and b"warning:" in plain.stderr and b"'neutron'" in plain.stderr
    checked = postrender(to_text(objs), *args, "--check")
    assert checked.returncode == 5 and checked.stdout == b""
    assert b"error:" in checked.stderr and b"'neutron'" in checked.stderr


def hook_job(name: str, events: str) -> dict:
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": name, "annotations": {"helm.sh/hook": events}},
           "spec": {"template": pod({"app.kubernetes.io/name": "nova"},
                                    [container("db-sync", f"{KOLLA}/nova-api:2025.1")])}}
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    return job


def test_a_helm4_hook_that_may_run_before_the_patch_configmaps_exist_runs_unpatched(tmp_path):
    job = hook_job("nova-db-sync", "pre-install,pre-upgrade")
    objs, diagnostics, _ = render(make_project(tmp_path), [job, *region_stream()])
    assert find(objs, "Job", "nova-db-sync") == job  # its pod would wait for the ConfigMaps forever
    assert any("Job/nova-db-sync: a Helm hook (pre-install,pre-upgrade)" in note
               for note in diagnostics.notes)


def test_a_helm4_hook_that_runs_after_the_release_is_hot_fixed(tmp_path):
    job = hook_job("nova-cell-check", "post-install,post-upgrade")
    objs, _, _ = render(make_project(tmp_path), [job, *region_stream()])
    hooked = find(objs, "Job", "nova-cell-check")
    assert [c["name"] for c in spec_of(hooked)["initContainers"]] == ["hotfix"]
    assert {"name": "nova-patches", "configMap": {"name": "nova-patches"}} in spec_of(hooked)["volumes"]


def test_configmap_follows_the_namespace_of_its_workloads(tmp_path):
    objs = region_stream()
    objs[0]["metadata"]["namespace"] = "openstack"
    out, _, _ = render(make_project(tmp_path), objs)
    maps = [(o["metadata"]["name"], o["metadata"].get("namespace")) for o in out
            if o["kind"] == "ConfigMap"]
    assert ("nova-patches", "openstack") in maps and ("nova-patches", None) in maps


@pytest.mark.parametrize("version", ["1.30.0", "1.33.0"])
def test_output_passes_kubernetes_validate_strict(tmp_path, version):
    objs, _, _ = render(make_project(tmp_path), region_stream())
    for obj in objs:
        kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("fixture", third_party())
def test_third_party_streams_are_left_alone_when_no_workload_matches(tmp_path, fixture):
    text = fixture.read_text()
    _, diagnostics, out = render(make_project(tmp_path), text)
    assert out == stream.emit(stream.parse(text))
    assert {f.strict for f in diagnostics.findings} == {True}
    assert len(diagnostics.findings) == 2  # nova and neutron: OpenDev labels differ


def test_stage_leaves_documents_untouched_when_nothing_changes(tmp_path):
    objs = copy.deepcopy(region_stream())
    overlay = make_project(tmp_path)
    _, _, once = render(overlay, objs)
    docs = stream.parse(once)
    hotfix.load(overlay).apply(docs, Diagnostics())
    assert not any(d.dirty for d in docs)


def test_a_broken_patch_in_the_charts_configmap_is_reported(tmp_path):
    truncated = diff("nova/chart.py", "chart", 3).rsplit("+", 1)[0]
    chart_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nova-patches"},
                 "data": {"0000-chart.patch": truncated, "README": "not a patch"}}
    objs, diagnostics, _ = render(make_project(tmp_path), [chart_map, *region_stream()])
    [finding] = diagnostics.findings
    assert finding.strict
    assert "document 1 ConfigMap/nova-patches: data.0000-chart.patch" in finding.message
    assert "malformed diff" in finding.message
    assert find(objs, "ConfigMap", "nova-patches")["data"]["README"] == "not a patch"


@pytest.mark.parametrize("image, component, runs", [
    (f"{KOLLA}/nova-api:2025.1", "nova", True),
    (f"{KOLLA}/nova:2025.1", "nova", True),
    (f"{KOLLA}/neutron-openvswitch-agent:2025.1", "neutron", True),
    (f"{KOLLA}/kolla-toolbox:2025.1", "nova", False),
    (f"{KOLLA}/openvswitch-vswitchd:2025.1", "neutron", False),
    (f"{KOLLA}/novanet-api:2025.1", "nova", False),
    ("quay.io/airshipit/nova:2026.1-ubuntu_noble", "nova", False),
])
def test_only_the_components_own_kolla_images_run_its_venv(image, component, runs):
    assert mount.runs_component_venv(image, component) is runs


def test_other_kolla_images_in_the_components_pods_get_no_mount(tmp_path):
    objs = region_stream()
    objs[0]["spec"]["template"]["spec"]["containers"].append(
        container("register", f"{KOLLA}/kolla-toolbox:2025.1"))
    objs[1]["spec"]["template"]["spec"]["containers"].append(
        container("openvswitch", f"{KOLLA}/openvswitch-vswitchd:2025.1"))
    out, _, _ = render(make_project(tmp_path), objs)
    assert mounts(find(out, "Deployment", "nova-api"), "register") == []
    assert mounts(find(out, "DaemonSet", "neutron-l3-agent"), "openvswitch") == []
    assert mounts(find(out, "DaemonSet", "neutron-l3-agent"), "l3") == [site_mount("neutron")]
    assert [c["name"] for c in spec_of(find(out, "DaemonSet", "neutron-l3-agent"))["initContainers"]] \
        == ["hotfix"]


def db_sync_job(name: str = "nova-db-sync-1a2b3c4d") -> dict:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
           "spec": {"template": pod({"app.kubernetes.io/name": "nova",
                                     "app.kubernetes.io/component": "db-sync"},
                                    [container("db-sync", f"{KOLLA}/nova-api:2025.1")])}}
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    return job


def test_job_gets_a_new_name_when_its_patches_change_because_its_template_is_immutable(tmp_path):
    overlay = make_project(tmp_path / "a")
    objs, _, once = render(overlay, region_stream() + [db_sync_job()])
    (job,) = [o for o in objs if o["kind"] == "Job"]
    assert job["metadata"]["name"].startswith("nova-db-sync-1a2b3c4d-hf")
    assert find(objs, "Deployment", "nova-api")  # other kinds keep their names
    # Idempotent: the stage recognises its own suffix.
    again, _, _ = render(overlay, once)
    assert [o["metadata"]["name"] for o in again if o["kind"] == "Job"] == [job["metadata"]["name"]]
    changed = {**NOVA, "0002-scheduler.patch": diff("nova/scheduler/utils.py", "better fix")}
    other, _, _ = render(make_project(tmp_path / "b", nova=changed), region_stream() + [db_sync_job()])
    (renamed,) = [o for o in other if o["kind"] == "Job"]
    assert renamed["metadata"]["name"] != job["metadata"]["name"]


def test_long_job_names_stay_within_63_characters(tmp_path):
    objs, _, _ = render(make_project(tmp_path), [db_sync_job("nova-" + "x" * 60)])
    (job,) = [o for o in objs if o["kind"] == "Job"]
    assert len(job["metadata"]["name"]) == 63 and "-hf" in job["metadata"]["name"]


def test_hook_jobs_keep_their_names(tmp_path):
    hook = db_sync_job()
    hook["metadata"]["annotations"] = {"helm.sh/hook": "pre-install"}
    objs, _, _ = render(make_project(tmp_path), [hook])
    assert [o["metadata"]["name"] for o in objs if o["kind"] == "Job"] == ["nova-db-sync-1a2b3c4d"]
