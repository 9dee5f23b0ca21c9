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
from postrender.hotfix import configmap, mount
from postrender.overlaydir import OverlayDir
from tests.conftest import THIRD_PARTY, postrender

KOLLA = "quay.io/openstack.kolla"
CHECKSUM = mount.CHECKSUM
GLOB = "/*-patches/*.patch"


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


def mounts(obj: dict, container_name: str) -> list[dict]:
    spec = spec_of(obj)
    for c in spec.get("initContainers", []) + spec["containers"]:
        if c["name"] == container_name:
            return c.get("volumeMounts", [])
    raise KeyError(container_name)


def test_each_component_with_patches_gets_its_configmap(tmp_path):
    objs, diagnostics, _ = render(make_project(tmp_path), region_stream())
    nova = find(objs, "ConfigMap", "nova-patches")
    assert nova["data"] == NOVA
    assert find(objs, "ConfigMap", "neutron-patches")["data"] == NEUTRON
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


def test_only_kolla_containers_of_the_component_get_read_only_mounts(tmp_path):
    objs, _, _ = render(make_project(tmp_path), region_stream())
    api = find(objs, "Deployment", "nova-api")
    assert mounts(api, "nova-api") == [
        {"name": "nova-patches", "mountPath": "/nova-patches", "readOnly": True}]
    assert mounts(api, "proxy") == [] and mounts(api, "wait") == []
    assert spec_of(api)["volumes"] == [{"name": "nova-patches", "configMap": {"name": "nova-patches"}}]
    l3 = find(objs, "DaemonSet", "neutron-l3-agent")
    assert mounts(l3, "l3") == [
        {"name": "neutron-patches", "mountPath": "/neutron-patches", "readOnly": True}]
    # A Kolla nova image under another component's label is not nova's workload.
    for name in ("keystone-api", "placement-api"):
        assert find(objs, "Deployment", name) == find(region_stream(), "Deployment", name)


def test_cronjob_pod_template_gets_the_mount_and_checksum(tmp_path):
    objs, _, _ = render(make_project(tmp_path), region_stream())
    cron = find(objs, "CronJob", "nova-cell-setup")
    assert mounts(cron, "cell-setup")[0]["mountPath"] == "/nova-patches"
    assert annotations_of(cron)[CHECKSUM] == annotations_of(find(objs, "Deployment", "nova-api"))[CHECKSUM]


def test_extra_kolla_image_patterns_from_hotfix_yaml(tmp_path):
    objs = region_stream()
    objs[0]["spec"]["template"]["spec"]["containers"][1]["image"] = "mirror.example.org/ours/nova-api:1"
    overlay = make_project(tmp_path, extra="kollaImages: ['mirror.example.org/ours/*']\n")
    out, _, _ = render(overlay, objs)
    assert mounts(find(out, "Deployment", "nova-api"), "proxy")[0]["mountPath"] == "/nova-patches"


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
    assert maps[0]["data"] == {**chart_map["data"], **NOVA}


def test_key_collision_with_the_chart_configmap_is_an_error(tmp_path):
    chart_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nova-patches"},
                 "data": {"0001-compute.patch": diff("nova/chart.py", "chart")}}
    with pytest.raises(ConfigError) as caught:
        render(make_project(tmp_path), [chart_map, *region_stream()])
    err = caught.value
    assert err.document == "document 1 ConfigMap/nova-patches"
    assert err.field == "data.0001-compute.patch"
    assert "patches/nova/0001-compute.patch" in str(err)


def test_a_mount_the_chart_already_has_is_not_duplicated(tmp_path):
    objs = region_stream()
    spec = objs[0]["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "hotfixes", "configMap": {"name": "nova-patches"}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "hotfixes", "mountPath": "/nova-patches"}]
    out, _, _ = render(make_project(tmp_path), objs)
    api = find(out, "Deployment", "nova-api")
    assert spec_of(api)["volumes"] == spec["volumes"]
    assert mounts(api, "nova-api") == spec["containers"][0]["volumeMounts"]
    assert CHECKSUM in annotations_of(api)


def test_mount_path_held_by_another_volume_is_an_error(tmp_path):
    objs = region_stream()
    spec = objs[0]["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "other", "emptyDir": {}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "other", "mountPath": "/nova-patches"}]
    with pytest.raises(ConfigError) as caught:
        render(make_project(tmp_path), objs)
    assert caught.value.field == "spec.template.spec.containers[0].volumeMounts"
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
    base = checksums(render(make_project(tmp_path / "a"), region_stream())[0])
    changed = {**NOVA, "0002-scheduler.patch": diff("nova/scheduler/utils.py", "better fix")}
    after = checksums(render(make_project(tmp_path / "b", nova=changed), region_stream())[0])
    assert after["nova-api"] != base["nova-api"] and after["nova-cell-setup"] != base["nova-cell-setup"]
    assert after["neutron-l3-agent"] == base["neutron-l3-agent"]
    assert after["keystone-api"] is None and base["keystone-api"] is None


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
    assert {k for m in maps.values() for k in m["data"]} == set(patches)
    # Apply order is kept: every key of the first part sorts before the second's.
    assert max(maps["nova-patches"]["data"]) < min(maps["nova-2-patches"]["data"])
    api = find(objs, "Deployment", "nova-api")
    paths = [m["mountPath"] for m in mounts(api, "nova-api")]
    assert paths == ["/nova-patches", "/nova-2-patches"]
    # Every key lands where the start-up script's glob finds it.
    for name, config in maps.items():
        for key in config["data"]:
            assert fnmatch.fnmatchcase(f"/{name}/{key}", GLOB)
    assert {v["configMap"]["name"] for v in spec_of(api)["volumes"]} == set(maps)


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


def test_helm4_hook_pod_does_not_wait_for_the_release_configmap(tmp_path):
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": "nova-db-sync", "annotations": {"helm.sh/hook": "pre-install"}},
           "spec": {"template": pod({"app.kubernetes.io/name": "nova"},
                                    [container("db-sync", f"{KOLLA}/nova-api:2025.1")])}}
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    objs, _, _ = render(make_project(tmp_path), [job, *region_stream()])
    volume = spec_of(find(objs, "Job", "nova-db-sync"))["volumes"][0]
    assert volume == {"name": "nova-patches", "configMap": {"name": "nova-patches", "optional": True}}
    assert "optional" not in spec_of(find(objs, "Deployment", "nova-api"))["volumes"][0]["configMap"]


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


@pytest.mark.parametrize("fixture", THIRD_PARTY, ids=lambda p: p.stem)
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
    assert mounts(find(out, "DaemonSet", "neutron-l3-agent"), "l3")[0]["mountPath"] == "/neutron-patches"


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
