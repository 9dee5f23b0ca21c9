"""osh-postrender between the real Helm 3 and Helm 4 and a small chart."""
from __future__ import annotations

import shutil

import pytest
import yaml

from tests.conftest import ROOT, THIRD_PARTY, third_party

pytestmark = pytest.mark.e2e

CHART = ROOT / "tests" / "e2e" / "chart"
HELM4_FILENAME = "postrenderer.helm.sh/postrender-filename"


def objects(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def test_pass_through_render_equals_plain_render(helm):
    plain = helm.run("template", "r", str(CHART)).stdout
    filtered = helm.run("template", "r", str(CHART), *helm.post_renderer_args()).stdout
    assert objects(filtered) == objects(plain)
    configmap = next(d for d in objects(filtered) if d["kind"] == "ConfigMap")
    assert configmap["data"]["enabled"] == "yes" and configmap["data"]["mode"] == "0755"


def test_helm3_show_only_finds_post_rendered_documents(helm3):
    out = helm3.run("template", "r", str(CHART), "--show-only", "templates/deployment.yaml",
                    *helm3.post_renderer_args()).stdout
    assert [(d["kind"], d["metadata"]["name"]) for d in objects(out)] == [("Deployment", "r-api")]
    assert "# Source: e2e/templates/deployment.yaml" in out


def test_helm4_hooks_pass_through_the_filter(helm4, tmp_path):
    out = helm4.run("template", "r", str(CHART), *helm4.post_renderer_args()).stdout
    hook = next(d for d in objects(out) if d["kind"] == "Job")
    assert hook["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert HELM4_FILENAME not in hook["metadata"]["annotations"]  # Helm mapped it back
    # The filter really sees the hook: a hook it rejects makes Helm 4 fail.
    log = tmp_path / "postrender.log"
    broken = helm4.run("template", "r", str(CHART), "--set", "brokenHook=true",
                       *helm4.post_renderer_args(), check=False,
                       env={"OSH_POSTRENDER_LOG": str(log)})
    assert broken.returncode != 0
    assert "e2e/templates/job-hook.yaml" in log.read_text()
    assert "duplicate key 'app.kubernetes.io/name'" in log.read_text()


def test_helm3_never_sends_hooks_to_the_post_renderer(helm3):
    result = helm3.run("template", "r", str(CHART), "--set", "brokenHook=true",
                       *helm3.post_renderer_args())
    assert any(d["kind"] == "Job" for d in objects(result.stdout))


def test_filter_failure_fails_helm3_and_shows_the_reason(helm3):
    result = helm3.run("template", "r", str(CHART), "--set", "brokenManifest=true",
                       *helm3.post_renderer_args(), check=False)
    assert result.returncode != 0
    assert "e2e/templates/configmap.yaml" in result.stderr
    assert "duplicate key 'mode'" in result.stderr


def test_filter_failure_fails_helm4_and_the_log_keeps_the_reason(helm4, tmp_path):
    log = tmp_path / "postrender.log"
    result = helm4.run("template", "r", str(CHART), "--set", "brokenManifest=true",
                       *helm4.post_renderer_args(), check=False,
                       env={"OSH_POSTRENDER_LOG": str(log)})
    assert result.returncode != 0
    assert 'plugin "osh-postrender" exited with error' in result.stderr
    assert "duplicate key 'mode'" not in result.stderr  # Helm 4 hides it ...
    assert "e2e/templates/configmap.yaml" in log.read_text()  # ... the log does not.


def test_helm4_install_dry_run_goes_through_the_plugin_with_region_args(helm4, tmp_path):
    (tmp_path / "overlays" / "empty").mkdir(parents=True)
    out = helm4.run("install", "r", str(CHART), "--dry-run=client",
                    *helm4.post_renderer_args("--region=empty", f"--root={tmp_path}")).stdout
    assert "kind: Deployment" in out


def test_helm4_plugin_reports_a_bad_region(helm4, tmp_path):
    log = tmp_path / "postrender.log"
    result = helm4.run("template", "r", str(CHART), *helm4.post_renderer_args("--region=nowhere"),
                       check=False, env={"OSH_POSTRENDER_LOG": str(log)})
    assert result.returncode != 0
    assert "no region 'nowhere'" in log.read_text()


@pytest.fixture(scope="module")
def third_party_chart(tmp_path_factory):
    """A chart whose only template emits one third-party fixture stream verbatim."""
    chart = tmp_path_factory.mktemp("third-party")
    (chart / "templates").mkdir()
    (chart / "files").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: third-party\nversion: 0.1.0\n")
    (chart / "templates" / "stream.yaml").write_text(
        '{{ .Files.Get (printf "files/%s.yaml" .Values.fixture) }}\n')
    for fixture in THIRD_PARTY:
        shutil.copy(fixture, chart / "files" / fixture.name)
    return chart


@pytest.mark.parametrize("fixture", third_party())
def test_helm4_accepts_third_party_output_through_the_plugin(helm4, third_party_chart, fixture):
    args = ["template", "r", str(third_party_chart), "--set", f"fixture={fixture.stem}"]
    filtered = helm4.run(*args, *helm4.post_renderer_args()).stdout
    # Helm 4 strips its filename annotation after post-rendering; the fixture
    # carried the one of its original chart, so compare without it. Helm orders
    # the result by kind, so compare in one canonical order.
    assert canonical(objects(filtered)) == canonical(objects(fixture.read_text()))


def canonical(objs: list[dict]) -> list[dict]:
    key = lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])  # noqa: E731
    return sorted((without_filename(o) for o in objs), key=key)


def without_filename(obj: dict) -> dict:
    annotations = obj["metadata"].get("annotations") or {}
    annotations.pop(HELM4_FILENAME, None)
    if not annotations:
        obj["metadata"].pop("annotations", None)
    return obj


def test_helm4_plugin_installed_elsewhere_uses_the_console_script_on_path(tmp_path):
    """A plugin dir without a venv (e.g. after `pip install .`) finds osh-postrender on PATH."""
    from tests.conftest import Helm, _fetch_helm

    plugin = tmp_path / "plugin"
    (plugin / "bin").mkdir(parents=True)
    shutil.copy(ROOT / "plugin.yaml", plugin / "plugin.yaml")
    shutil.copy(ROOT / "bin" / "osh-postrender", plugin / "bin" / "osh-postrender")
    helm = Helm(_fetch_helm("4"), tmp_path / "home")
    helm.run("plugin", "install", str(plugin))
    (tmp_path / "overlays" / "empty").mkdir(parents=True)
    out = helm.run("template", "r", str(CHART),
                   *helm.post_renderer_args("--region=empty", f"--root={tmp_path}")).stdout
    assert any(d["kind"] == "Deployment" for d in objects(out))


def test_plugin_command_depends_on_no_machine_path():
    plugin = yaml.safe_load((ROOT / "plugin.yaml").read_text())
    assert plugin["type"] == "postrenderer/v1" and plugin["name"] == "osh-postrender"
    (command,) = plugin["runtimeConfig"]["platformCommand"]
    assert command["command"] == "${HELM_PLUGIN_DIR}/bin/osh-postrender"
    script = (ROOT / "bin" / "osh-postrender").read_text()
    assert str(ROOT) not in script and "/work/" not in script
