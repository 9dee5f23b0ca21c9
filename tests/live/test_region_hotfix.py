"""Hot-fix patches on Kolla's real nova images, in the running region
(issue: patches applied as the image's own user). A probe patch makes
nova-scheduler log a line at start; it is added through an overlay beside
overlays/live, changed, and taken away again. Each step must roll exactly
the pods that mount nova's patches and leave every other pod alone.

Runs after test_region, which installs the whole region.
"""
from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIVE = str(ROOT / "tools" / "live")
NAMESPACE = "openstack"
# Inside the project root (the post-renderer reads nothing outside it), at
# the depth of overlays/live, so that the live overlay's relative paths hold.
OVERLAY = ROOT / ".cache" / "live-hotfix-overlay"
PROBE = "nova/0900-live-probe-scheduler-start.patch"


def probe_patch(token: str) -> str:
    """A log line at nova-scheduler's start, before its manager's base __init__."""
    return (
        "--- a/nova/scheduler/manager.py\n"
        "+++ b/nova/scheduler/manager.py\n"
        "@@ -99,6 +99,7 @@\n"
        "             LOG.error('Fatal error initializing placement client: %s', e)\n"
        "             raise\n"
        " \n"
        f"+        LOG.info('live hot-fix probe %s', '{token}')\n"
        "         super().__init__(service_name='scheduler', *args, **kwargs)\n"
        " \n"
        "     @property\n")


def write_overlay(token: str | None) -> Path:
    shutil.rmtree(OVERLAY, ignore_errors=True)
    OVERLAY.mkdir(parents=True)
    for name in ("kustomization.yaml", "placement.yaml", "values.yaml"):
        shutil.copy(ROOT / "overlays" / "live" / name, OVERLAY / name)
    dirs = ["../../patches", "../../overlays/europe-example-region/patches"]
    if token is not None:
        (OVERLAY / "patches" / "nova").mkdir(parents=True)
        (OVERLAY / "patches" / PROBE).write_text(probe_patch(token))
        dirs.append("patches")
    (OVERLAY / "hotfix.yaml").write_text("patchDirs:\n" + "".join(f"  - {d}\n" for d in dirs))
    return OVERLAY


def install(overlay: Path) -> None:
    result = subprocess.run([LIVE, "install", "europe-example-region", "--overlay", str(overlay),
                             "--timeout", "1800"], capture_output=True, text=True, timeout=2400)
    assert result.returncode == 0, result.stderr[-4000:]


def pods(kube) -> dict[str, dict]:
    """{owner kind/name: pod} of every running pod that a workload owns (Jobs aside)."""
    out = {}
    for pod in kube.json("-n", NAMESPACE, "get", "pods")["items"]:
        owners = pod["metadata"].get("ownerReferences") or []
        if not owners or owners[0]["kind"] == "Job" or pod["status"]["phase"] != "Running":
            continue
        labels = pod["metadata"]["labels"]
        key = f"{labels.get('app.kubernetes.io/name')}/{labels.get('app.kubernetes.io/component')}/" \
              f"{owners[0]['kind']}/{owners[0]['name'].rsplit('-', 1)[0] if owners[0]['kind'] == 'ReplicaSet' else owners[0]['name']}"
        out[key] = pod
    return out


def mounts_nova_patches(pod: dict) -> bool:
    return any((v.get("configMap") or {}).get("name", "").startswith("nova-patches")
               for v in pod["spec"].get("volumes", []))


def scheduler_log(kube) -> str:
    [pod] = [p for p in kube.json("-n", NAMESPACE, "get", "pods", "-l",
                                  "app.kubernetes.io/name=nova,app.kubernetes.io/component=scheduler")["items"]
             if p["status"]["phase"] == "Running" and "deletionTimestamp" not in p["metadata"]]
    return kube.run("-n", NAMESPACE, "logs", pod["metadata"]["name"], "-c", "scheduler").stdout


@pytest.fixture(scope="module")
def restore():
    yield
    install(write_overlay(None))
    shutil.rmtree(OVERLAY, ignore_errors=True)


def rolled(before: dict, after: dict) -> tuple[set, set]:
    """(keys whose pod changed, keys whose pod stayed) among the keys in both."""
    common = before.keys() & after.keys()
    changed = {k for k in common if before[k]["metadata"]["uid"] != after[k]["metadata"]["uid"]}
    return changed, common - changed


def test_a_patch_to_nova_runs_in_the_scheduler_and_rolls_only_novas_pods(kube, restore):
    # The starting point is this checkout's region without the probe: an
    # install left by older charts would roll more than the patch does.
    install(write_overlay(None))
    before = pods(kube)
    nova = {k for k, p in before.items() if mounts_nova_patches(p)}
    assert {k for k in nova if k.startswith("nova/scheduler/")}, sorted(before)

    first = uuid.uuid4().hex[:12]
    install(write_overlay(first))
    after = pods(kube)
    changed, kept = rolled(before, after)
    assert changed == nova, f"rolled: {sorted(changed)}; nova's: {sorted(nova)}"
    assert kept == before.keys() & after.keys() - nova
    assert f"live hot-fix probe {first}" in scheduler_log(kube)

    # A changed patch rolls the same pods again, and only them.
    second = uuid.uuid4().hex[:12]
    install(write_overlay(second))
    again = pods(kube)
    changed, _ = rolled(after, again)
    assert changed == nova
    log = scheduler_log(kube)
    assert f"live hot-fix probe {second}" in log and first not in log
