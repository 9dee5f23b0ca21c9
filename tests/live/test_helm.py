"""A small chart through the real Helm 3 and 4 and osh-postrender, on the live cluster.

Helm 4 runs osh-postrender as its plugin, Helm 3 as the executable on PATH.
The chart's keystone Deployment runs Kolla's keystone image and serves what
keystone.version.release_string() returns; a hot-fix patch changes that.
An upgrade that changes only the patch must roll the keystone pods and no
other, and a rollback must bring the first patch back.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHART = Path(__file__).resolve().parent / "chart"

PATCH = """\
--- a/keystone/version.py
+++ b/keystone/version.py
@@ -12,4 +12,4 @@


 def release_string():
-    return 'v3.14'
+    return '{release}'
"""


def helm_binary(major: str) -> str:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_helm.py"), major],
                          check=True, capture_output=True, text=True).stdout.strip()


class Helm:
    def __init__(self, major: str, home: Path, kubeconfig: str):
        self.major = major
        self.binary = helm_binary(major)
        self.env = {**os.environ,
                    "HELM_CONFIG_HOME": str(home / "config"), "HELM_DATA_HOME": str(home / "data"),
                    "HELM_CACHE_HOME": str(home / "cache"), "HELM_PLUGINS": str(home / "data" / "plugins"),
                    "KUBECONFIG": kubeconfig, "OSH_ROOT": str(ROOT),
                    "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
        if major == "4":
            self("plugin", "install", str(ROOT))

    def __call__(self, *args: str) -> str:
        result = subprocess.run([self.binary, *args], env=self.env, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, f"helm {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout


@pytest.fixture(params=["4", "3"], ids=["helm4-plugin", "helm3-path"])
def helm(request, tmp_path_factory, kube):
    return Helm(request.param, tmp_path_factory.mktemp(f"helm{request.param}"), kube.kubeconfig)


def write_overlay(directory: Path, release: str) -> Path:
    """An overlay whose only stage is the hot-fix stage, with one keystone patch."""
    (directory / "patches" / "keystone").mkdir(parents=True, exist_ok=True)
    (directory / "hotfix.yaml").write_text("patchDirs: [patches]\n")
    (directory / "patches" / "keystone" / "0001-release-string.patch").write_text(
        PATCH.format(release=release))
    return directory


def pods(kube, namespace: str) -> dict[str, str]:
    """{deployment name: uid of its one Ready pod}."""
    found = {}
    for pod in kube.json("-n", namespace, "get", "pods")["items"]:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        ready = any(c["type"] == "Ready" and c["status"] == "True"
                    for c in pod["status"].get("conditions", []))
        if ready:
            owner = pod["metadata"]["labels"]["app.kubernetes.io/name"]
            found[owner] = pod["metadata"]["uid"]
    return found


def served_release(kube, namespace: str) -> str:
    """What the running keystone container answers, through the API server's pod proxy."""
    pod = [p for p in kube.json("-n", namespace, "get", "pods", "-l",
                                "app.kubernetes.io/name=keystone")["items"]
           if not p["metadata"].get("deletionTimestamp")][0]["metadata"]["name"]
    return kube.run("get", "--raw",
                    f"/api/v1/namespaces/{namespace}/pods/{pod}:8080/proxy/").stdout


def settle(kube, namespace: str) -> dict[str, str]:
    for deployment in ("demo-keystone", "demo-toolbox"):
        kube.run("-n", namespace, "rollout", "status", f"deployment/{deployment}", "--timeout=300s")
    return kube.wait_for(lambda: (lambda p: p if len(p) == 2 else None)(pods(kube, namespace)),
                         "one Ready pod per Deployment", timeout=120)


def test_install_upgrade_and_rollback_roll_only_the_patched_workloads(helm, kube, namespace, tmp_path):
    release = f"demo{uuid.uuid4().hex[:6]}"
    overlay = write_overlay(tmp_path / "overlay", "v3.14-hotfix-1")
    common = [str(CHART), "--namespace", namespace, "--post-renderer", "osh-postrender",
              f"--post-renderer-args=--overlay={overlay}"]

    helm("install", release, *common)
    first = settle(kube, namespace)
    assert served_release(kube, namespace) == "v3.14-hotfix-1"
    init = kube.json("-n", namespace, "get", "deployment", "demo-keystone")[
        "spec"]["template"]["spec"].get("initContainers", [])
    assert init, "the hot-fix stage added no init container"
    toolbox = kube.json("-n", namespace, "get", "deployment", "demo-toolbox")["spec"]["template"]["spec"]
    assert not toolbox.get("initContainers"), "patches of keystone reached the toolbox"

    write_overlay(overlay, "v3.14-hotfix-2")
    helm("upgrade", release, *common)
    second = settle(kube, namespace)
    assert served_release(kube, namespace) == "v3.14-hotfix-2"
    assert second["keystone"] != first["keystone"], "the changed patch did not roll the keystone pod"
    assert second["toolbox"] == first["toolbox"], "a pod that mounts no patch was restarted"
    revisions = {d: kube.json("-n", namespace, "get", "deployment", d)["metadata"]["annotations"][
        "deployment.kubernetes.io/revision"] for d in ("demo-keystone", "demo-toolbox")}
    assert revisions == {"demo-keystone": "2", "demo-toolbox": "1"}

    helm("rollback", release, "1", "--namespace", namespace)
    third = settle(kube, namespace)
    assert served_release(kube, namespace) == "v3.14-hotfix-1"
    assert third["toolbox"] == first["toolbox"]
    history = json.loads(helm("history", release, "--namespace", namespace, "-o", "json"))
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert history[-1]["status"] == "deployed"

    helm("uninstall", release, "--namespace", namespace)
