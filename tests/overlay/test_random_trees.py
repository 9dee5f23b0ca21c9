"""Seeded random kustomization trees agree with kustomize, order included.

Each example builds a base that lists the stream (or a top that does not
list it at all), an overlay on it, sometimes an overlay on that and a
component, each with a random mix of namespace, labels, annotations,
generators (merging into the base's too), targeted and untargeted patches
and sortOptions, then compares the overlay stage with real kubectl
kustomize, failures included.
"""
from __future__ import annotations

import random

import pytest

from postrender.errors import PostRenderError
from tests.overlay.cases import SMALL, ops, pod, smp
from tests.overlay.differential import (KUBECTL, KustomizeFailed, Tree, engine_list, key,
                                        kustomize_list)

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")]

KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Service", "ConfigMap",
         "Secret", "Ingress", "ServiceAccount")
SMP_BODIES = (
    {"metadata": {"annotations": {"patched": "smp"}}},
    {"spec": {"template": {"spec": {"containers": [{"name": "api", "env": [
        {"name": "LEVEL", "value": "x"}, {"name": "A", "value": "2"}]}]}}}},
    {"spec": {"template": {"spec": {"volumes": [{"name": "tmp", "emptyDir": {}}]}}}},
    {"spec": {"template": {"metadata": {"labels": {"patched": "yes"}}}}},
    {"data": {"patched": "yes"}},
)
OPERATIONS = (
    {"op": "add", "path": "/metadata/labels/patched", "value": "json"},   # fails without labels
    {"op": "replace", "path": "/metadata/annotations", "value": {"patched": "json"}},
    {"op": "test", "path": "/metadata/missing", "value": None},
)


def random_level(rng: random.Random, level: str) -> dict:
    spec: dict = {}
    if rng.random() < 0.3:
        spec["namespace"] = rng.choice(["openstack", level])
    if rng.random() < 0.4:
        spec["commonLabels"] = {f"from-{level}": "yes"}
    if rng.random() < 0.4:
        spec["labels"] = [{"pairs": {"tier": level}, "includeTemplates": rng.random() < 0.5}]
    if rng.random() < 0.3:
        spec["commonAnnotations"] = {"owner": level}
    patches = []
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(KINDS)
        roll = rng.random()
        if roll < 0.45:
            patches.append({"target": {"kind": kind},
                            "patch": smp(kind, "any", rng.choice(SMP_BODIES))})
        elif roll < 0.8:
            patches.append({"target": {"kind": kind}, "patch": ops(rng.choice(OPERATIONS))})
        else:
            patches.append({"patch": smp("Deployment", "web-api", pod({"containers": [
                {"name": "api", "image": f"{level}:1"}]}))})
    if patches:
        spec["patches"] = patches
    generators = []
    if level == "base" or rng.random() < 0.5:
        generators.append({"name": f"{level}-cfg", "literals": [f"level={level}"]})
    if level != "base" and rng.random() < 0.4:
        generators.append({"name": "base-cfg", "behavior": "merge", "literals": [f"{level}=1"]})
    if generators:
        spec["configMapGenerator"] = generators
    if rng.random() < 0.3:
        spec["images"] = [{"name": "quay.io/openstack.kolla/keystone", "newTag": level}]
    return spec


def random_tree(seed: int) -> Tree:
    rng = random.Random(seed)
    listed = rng.random() < 0.8
    base = {"resources": ["all.yaml"] if listed else [], **random_level(rng, "base")}
    files = {"base/kustomization.yaml": base,
             "mid/kustomization.yaml": {"resources": ["../base"], **random_level(rng, "mid")}}
    top = "mid"
    if rng.random() < 0.5:
        files["top/kustomization.yaml"] = {"resources": ["../mid"], **random_level(rng, "top")}
        top = "top"
    if rng.random() < 0.4:
        files["component/kustomization.yaml"] = {
            "apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component",
            **random_level(rng, "component")}
        files[f"{top}/kustomization.yaml"]["components"] = ["../component"]
    files[f"{top}/kustomization.yaml"]["sortOptions"] = {"order": rng.choice(["legacy", "fifo"])}
    return Tree(SMALL, files, top=top, stream_at="base/all.yaml" if listed else None)


def _outcome(run, case, directory):
    try:
        return [(key(o), o) for o in run(case, directory)]
    except (KustomizeFailed, PostRenderError):
        return "fails"


@pytest.mark.parametrize("seed", range(12))
def test_random_tree_gives_what_kustomize_gives(seed, tmp_path):
    case = random_tree(seed)
    expected = _outcome(kustomize_list, case, tmp_path / "k")
    assert _outcome(engine_list, case, tmp_path / "e") == expected, case.files
