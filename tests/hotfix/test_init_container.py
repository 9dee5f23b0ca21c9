"""The hot-fix init container, started as the kubelet would start it, on a real Kolla venv.

The nova chart is rendered with real Helm 4 through osh-postrender; its
nova-conductor pod then runs as Kolla's nova-conductor image would run it:
a root-owned venv at /var/lib/kolla/venv with nova 2025.1 from PyPI and
Kolla's `lib/python3` symlink, the image's user nova (uid 42436, groups kolla
and qemu, fsGroup 42436), the rendered init container's command, args and
mounts, the ConfigMaps in the kubelet's `..data` layout, and a read-only
root file system. The service's view is then checked as `kubectl exec`
would see it, and as a process started with a clean environment (sudo
privsep-helper, rootwrap) would.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.charts.conftest import NAMESPACE, RELEASE, built_chart_tree, documents, values_in_region
from tests.conftest import ROOT
from tests.hotfix import kolla_image, kubelet

WHY_NOT = kubelet.can_run() or kolla_image.cannot_build()
# The Kolla venv is built in the background from the session's start (tests/releases.py).
pytestmark = [pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT)),
              pytest.mark.releases(kolla=WHY_NOT is None)]

REGION_PATCHES = ROOT / "overlays" / "europe-example-region" / "patches"
VENDOR = 'NOVA_VENDOR = "OpenStack Foundation"\n'
# `import nova.version` is cheap and runs the module: what the service sees.
SHOW_VENDOR = "import nova.version; print(nova.version.NOVA_VENDOR); print(nova.version.__file__)"
# The region's scheduler patch turns a LOG.debug into LOG.info in
# claim_resources; the code object the import system loads tells which.
SHOW_CLAIM_LOG = """
import importlib.util
spec = importlib.util.find_spec("nova.scheduler.utils")
code = spec.loader.get_code("nova.scheduler.utils")
def walk(c):
    yield c
    for const in c.co_consts:
        if hasattr(const, "co_code"):
            yield from walk(const)
claim = next(c for c in walk(code) if c.co_name == "claim_resources")
print("info" if "info" in claim.co_names else "debug")
"""


@pytest.fixture(scope="module")
def nova_image():
    return kolla_image.image("nova", "nova")


def line_patch(venv, name: str, old: str, new: str) -> str:
    """A `git diff`-style patch replacing the line `old` of site-packages/<name> by `new`,
    with the release's own context (a one-line file when the release lacks it)."""
    site = venv / "lib" / "python3" / "site-packages"
    text = (site / name).read_text() if (site / name).is_file() else old
    assert text.count(old) == 1
    lines = text.splitlines(keepends=True)
    at = lines.index(old)
    before, after = lines[max(0, at - 3):at], lines[at + 1:at + 4]
    start, count = at - len(before) + 1, len(before) + 1 + len(after)
    body = "".join(" " + line for line in before) + "-" + old + "+" + new \
        + "".join(" " + line for line in after)
    return f"diff --git a/{name} b/{name}\n--- a/{name}\n+++ b/{name}\n" \
           f"@@ -{start},{count} +{start},{count} @@\n{body}"


def vendor_patch(venv, vendor: str) -> str:
    return line_patch(venv, "nova/version.py", VENDOR, f'NOVA_VENDOR = "{vendor}"\n')


@pytest.fixture(scope="module")
def render(helm4, tmp_path_factory):
    """Render the nova chart through osh-postrender with the given extra nova patches:
    the project's and the region's patches, plus these. Returns (pod spec, ConfigMaps)."""
    tree = built_chart_tree(helm4, tmp_path_factory)
    values = tmp_path_factory.mktemp("nova-values") / "values.yaml"
    values.write_text(yaml.safe_dump(values_in_region("nova")))

    def rendered(extra: dict[str, str], workload: str = "nova-conductor"):
        project = tmp_path_factory.mktemp("project")
        shutil.copytree(ROOT / "patches", project / "patches")
        shutil.copytree(REGION_PATCHES, project / "overlays" / "r" / "patches")
        for name, text in extra.items():
            (project / "overlays" / "r" / "patches" / "nova" / name).write_text(text)
        (project / "overlays" / "r" / "hotfix.yaml").write_text("patchDirs: [../../patches, patches]\n")
        result = helm4.run("template", RELEASE, str(tree.path("nova")), "--namespace", NAMESPACE,
                           "-f", str(values), *helm4.post_renderer_args(
                               f"--root={project}", "--region=r"))
        objects = documents(result.stdout)
        deployment = next(o for o in objects if o["kind"] == "Deployment"
                          and o["metadata"]["name"] == workload)
        maps = {o["metadata"]["name"]: o.get("data") or {} for o in objects if o["kind"] == "ConfigMap"}
        return deployment["spec"]["template"]["spec"], maps
    return rendered


@pytest.fixture(scope="module")
def started(nova_image, render, tmp_path_factory):
    """nova-conductor's pod with a patch that applies (besides the project's and the
    region's), one whose first file nova lacks, and one for a package nova lacks;
    its init container has run once."""
    spec, maps = render({
        "0003-vendor.patch": vendor_patch(nova_image.venv, "OpenStack Foundation (hot-fixed)"),
        "0004-zvm2.patch": line_patch(nova_image.venv, "nova/virt/zvm2/driver.py", "VERSION = 1\n",
                                      "VERSION = 2\n"),
        "0005-plugin.patch": line_patch(nova_image.venv, "nova_hotfix_plugin/agent.py",
                                        "VERSION = 1\n", "VERSION = 2\n"),
    })
    pod = kubelet.Pod(tmp_path_factory.mktemp("pod"), spec, maps, nova_image)
    return pod, pod.run("hotfix")


def site(image) -> str:
    return f"/var/lib/kolla/venv/lib/{image.python_version}/site-packages"


def test_the_rendered_pod_starts_the_hotfix_init_container_as_novas_user(render):
    spec, _ = render({})
    # Ours first; the chart's own (nova-conductor waits for its Keystone user) after it.
    init = spec["initContainers"][0]
    assert init["name"] == "hotfix"
    assert init["image"] == spec["containers"][0]["image"]
    assert "runAsUser" not in init.get("securityContext", {})  # the image's USER: nova
    assert "command" not in spec["containers"][0]  # Kolla's own entrypoint: dumb-init, kolla_start


def test_a_patch_applies_and_the_service_and_a_clean_environment_import_it(nova_image, started):
    pod, init = started
    assert init.returncode == 0, init.stderr
    for patch in ("0001-compute-tolerate-a-finished-power-state-sync.patch",
                  "0002-scheduler-log-placement-claims.patch", "0003-vendor.patch"):
        assert f"/var/lib/osh/hotfix/nova-patches/{patch}: applied" in init.stderr
    # kubectl exec: the service's user, env and mounts.
    service = pod.run("conductor", ["python3", "-c", SHOW_VENDOR])
    assert service.returncode == 0, service.stderr
    assert service.stdout.splitlines() == ["OpenStack Foundation (hot-fixed)",
                                           f"{site(nova_image)}/nova/version.py"]
    # sudo privsep-helper: root, and no environment at all.
    clean = pod.run("conductor", ["env", "-i", "/var/lib/kolla/venv/bin/python3", "-c", SHOW_VENDOR],
                    as_root=True)
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.splitlines()[0] == "OpenStack Foundation (hot-fixed)"
    claim = pod.run("conductor", ["python3", "-c", SHOW_CLAIM_LOG])
    assert claim.stdout == "info\n", claim.stderr
    # The image's own venv is untouched (the init container sees it unmounted);
    # the service's user could write neither it nor the patched copy (its own files).
    original = pod.run("hotfix", ["grep", "-c", "hot-fixed", f"{site(nova_image)}/nova/version.py"])
    assert original.stdout == "0\n"
    writable = pod.run("conductor", ["sh", "-c", f"cd {site(nova_image)}; for p in . nova/version.py; "
                                                 "do test -w $p && echo $p; done; echo checked"])
    assert writable.stdout == "checked\n"


def test_a_patch_whose_first_file_is_absent_is_skipped_and_an_absent_package_stays_absent(started):
    pod, init = started
    assert init.returncode == 0, init.stderr
    assert "0004-zvm2.patch: skipped (first file nova/virt/zvm2/driver.py not in" in init.stderr
    assert "0005-plugin.patch: skipped (first file nova_hotfix_plugin/agent.py not in" in init.stderr
    assert "nova_hotfix_plugin: not in" in init.stderr
    # The pod mounts a placeholder there; Python must not find a (namespace) package in it.
    probe = pod.run("conductor", ["python3", "-c", "import importlib.util as u; "
                                  "print(u.find_spec('nova_hotfix_plugin'), u.find_spec('nova.virt.zvm2'))"])
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout == "None None\n"


def test_a_second_start_of_the_pod_is_idempotent(started):
    pod, first = started
    assert first.returncode == 0, first.stderr
    again = pod.run("hotfix")  # a restarted pod reruns its init containers on the same emptyDir
    assert again.returncode == 0, again.stderr
    assert again.stderr.count(": applied") == first.stderr.count(": applied") == 3
    assert again.stderr.count(": skipped") == first.stderr.count(": skipped") == 2
    service = pod.run("conductor", ["python3", "-c", SHOW_VENDOR])
    assert service.stdout.splitlines()[0] == "OpenStack Foundation (hot-fixed)"
    copy = pod.volumes["hotfix-site-packages"] / "nova" / "version.py"
    assert copy.read_text().count("hot-fixed") == 1


def test_a_conflict_fails_the_init_container_naming_the_patch_and_the_file(
        nova_image, tmp_path, render):
    stale = vendor_patch(nova_image.venv, "Hot-fixed").replace(
        '-NOVA_VENDOR = "OpenStack Foundation"', '-NOVA_VENDOR = "OpenStack Foundation, Inc."')
    spec, maps = render({"0003-stale.patch": stale})
    pod = kubelet.Pod(tmp_path, spec, maps, nova_image)
    init = pod.run("hotfix")
    assert init.returncode == 1
    [line] = [line for line in init.stderr.splitlines() if "error:" in line]
    assert line.startswith("hotfix: error: /var/lib/osh/hotfix/nova-patches/0003-stale.patch: "
                           "conflict in nova/version.py")
    assert line.endswith("refusing to start")
    assert not list(pod.volumes["hotfix-site-packages"].iterdir())  # nothing half-patched is left


def test_site_packages_is_found_through_the_venvs_python_with_the_python3_symlink(nova_image, started):
    pod, init = started
    assert (nova_image.venv / "lib" / "python3").is_symlink()
    assert f"from {site(nova_image)}" in init.stderr
    # An image without the symlink (older than 2025.1) would get the copies where
    # Python never looks: the init container refuses instead.
    older = pod.run("hotfix", root_changes={"remove": ["lib/python3"]})
    assert older.returncode == 1
    assert "no /var/lib/kolla/venv/lib/python3 symlink" in older.stderr
