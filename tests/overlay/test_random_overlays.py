"""Seeded random overlays on the third-party fixtures agree with kustomize.

Each example picks a fixture and a random mix of namespace, labels,
annotations, images, generators and targeted patches (strategic merge and
JSON 6902, on kinds that may or may not be there), then compares the
overlay stage with real kubectl kustomize, failures included.
"""
from __future__ import annotations

import random

import pytest

from postrender.errors import PostRenderError
from tests.conftest import THIRD_PARTY, needs_third_party
from tests.overlay.cases import ops, smp
from tests.overlay.differential import KUBECTL, Case, KustomizeFailed, engine, kustomize

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")]

KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Service",
         "ConfigMap", "Secret", "Ingress", "PodDisruptionBudget", "ServiceAccount", "Role",
         "RoleBinding", "NetworkPolicy")
BODIES = (
    {"metadata": {"annotations": {"patched": "yes"}}},
    {"metadata": {"labels": None}},
    {"spec": {"template": {"metadata": {"labels": {"patched": "true"}}}}},
    {"spec": {"template": {"spec": {"nodeSelector": {"region": "eu"},
                                    "containers": [{"name": "extra", "image": "x:1"}]}}}},
    {"spec": {"template": {"spec": {"initContainers": [{"name": "init", "$patch": "delete"}]}}}},
    {"spec": {"template": {"spec": {"initContainers": [
        {"name": "init", "env": [{"name": "X", "value": "1"}, {"name": "NAMESPACE", "value": "x"}]}]}}}},
    {"spec": {"template": {"spec": {"volumes": [{"name": "pod-tmp", "$patch": "delete"},
                                                {"name": "new", "emptyDir": {}}]}}}},
    {"spec": {"template": {"spec": {"securityContext": None,
                                    "affinity": {"podAntiAffinity": None}}}}},
    {"spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "initContainers": [{"name": "init", "image": "x:1"}]}}}}}},
)
OPERATIONS = ({"op": "add", "path": "/metadata/labels/patched", "value": "json"},
              {"op": "add", "path": "/metadata/annotations", "value": {"patched": "json"}})


def random_overlay(rng: random.Random, fixture: str) -> dict:
    spec: dict = {}
    if rng.random() < 0.5:
        spec["namespace"] = rng.choice(["openstack", "europe"])
    if rng.random() < 0.5:
        spec["commonLabels"] = {"region": "eu"}
    if rng.random() < 0.5:
        spec["labels"] = [{"pairs": {"tier": "x"}, "includeTemplates": rng.random() < 0.5,
                           "includeSelectors": rng.random() < 0.3}]
    if rng.random() < 0.5:
        spec["commonAnnotations"] = {"owner": "platform"}
    patches = []
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(KINDS)
        if rng.random() < 0.6:
            patches.append({"target": {"kind": kind},
                            "patch": smp(kind, "any", rng.choice(BODIES))})
        else:
            patches.append({"target": {"kind": kind}, "patch": ops(rng.choice(OPERATIONS))})
    if patches:
        spec["patches"] = patches
    if rng.random() < 0.3:
        spec["images"] = [{"name": "quay.io/airshipit/kubernetes-entrypoint", "newTag": "eu"}]
    if rng.random() < 0.3:
        spec["configMapGenerator"] = (
            [{"name": f"{fixture}-bin", "behavior": "merge", "literals": ["region=eu"]}]
            if rng.random() < 0.5 else [{"name": "region", "literals": ["region=eu"]}])
    return spec


def _outcome(run, case, directory):
    try:
        return run(case, directory)
    except (KustomizeFailed, PostRenderError):
        return "fails"


@needs_third_party
@pytest.mark.parametrize("seed", range(12))
def test_random_overlay_on_a_fixture_gives_what_kustomize_gives(seed, tmp_path):
    rng = random.Random(seed)
    path = rng.choice(THIRD_PARTY)
    case = Case(path.read_text(), random_overlay(rng, path.stem))
    expected = _outcome(kustomize, case, tmp_path / "k")
    assert _outcome(engine, case, tmp_path / "e") == expected, (path.stem, case.kustomization)
