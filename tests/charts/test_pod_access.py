"""Every pod of the region says what it may reach: no ServiceAccount token
unless global.pods.automountServiceAccountToken, and the image pull Secrets
of global.image.pullSecrets (osh-lib.pod-access)."""
from __future__ import annotations

import pytest

from tests.charts.conftest import REGION

POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
MIRROR = ("--set", "global.image.pullSecrets={mirror-pull,mirror-pull-2}")
AUTOMOUNT = ("--set", "global.pods.automountServiceAccountToken=true")


def pod_templates(objects: list[dict]) -> dict[str, dict]:
    return {f"{o['kind']}/{o['metadata']['name']}": o["spec"]["template"]["spec"]
            for o in objects if o["kind"] in POD_TEMPLATE_KINDS}


@pytest.fixture(scope="module")
def default_pods(chart_tree) -> dict[str, dict]:
    return pod_templates(chart_tree.render(REGION))


@pytest.fixture(scope="module")
def mirrored_pods(chart_tree) -> dict[str, dict]:
    return pod_templates(chart_tree.render(REGION, *MIRROR, *AUTOMOUNT))


def test_pod_templates_include_every_kind_and_the_library_built_ones(default_pods):
    """The checks below see node-group DaemonSets and osh-lib's ks-register Jobs."""
    assert {name.split("/")[0] for name in default_pods} == POD_TEMPLATE_KINDS
    assert any(name.startswith("DaemonSet/nova-compute-group-") for name in default_pods)
    assert any(name.startswith("DaemonSet/neutron-") and "-group-" in name for name in default_pods)
    assert any(name.startswith("Job/") and "-ks-register-" in name for name in default_pods)


def test_no_pod_mounts_a_service_account_token_by_default(default_pods):
    wrong = [name for name, spec in default_pods.items()
             if spec.get("automountServiceAccountToken") is not False]
    assert not wrong


def test_no_pod_has_image_pull_secrets_by_default(default_pods):
    assert not [name for name, spec in default_pods.items() if "imagePullSecrets" in spec]


def test_automount_global_true_mounts_the_token_in_every_pod(mirrored_pods):
    wrong = [name for name, spec in mirrored_pods.items()
             if spec.get("automountServiceAccountToken") is not True]
    assert not wrong


def test_pull_secrets_global_lands_on_every_pod_spec(mirrored_pods):
    expected = [{"name": "mirror-pull"}, {"name": "mirror-pull-2"}]
    wrong = [name for name, spec in mirrored_pods.items()
             if spec.get("imagePullSecrets") != expected]
    assert not wrong


def test_jobs_get_new_names_when_the_pod_access_globals_change(default_pods, mirrored_pods):
    """A Job's pod template is immutable: a changed one must be a new Job."""
    before = {name for name in default_pods if name.startswith("Job/")}
    after = {name for name in mirrored_pods if name.startswith("Job/")}
    assert len(before) == len(after) and not before & after

