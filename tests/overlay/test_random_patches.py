"""Seeded random strategic merge patches: the overlay stage agrees with kustomize.

Each example builds a patch for the small stream's `web-api` Deployment from
random containers, env, mounts, ports (with or without a protocol), volumes,
tolerations, image pull secrets and directives, and compares the result,
list order included, with real kubectl kustomize.
(`{$patch: replace}` inside a list the target lacks is left out: kustomize
copies it into the object, an intended difference in test_differences.py.)
"""
from __future__ import annotations

import random

import pytest

from tests.overlay.cases import SMALL, pod, smp
from tests.overlay.differential import KUBECTL, Case, engine, kustomize

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")]

CONTAINERS = ("api", "sidecar", "extra", "late")


def _container(rng: random.Random, name: str) -> dict:
    container = {"name": name}
    roll = rng.random()
    if roll < 0.15 and name in ("api", "sidecar"):
        container["$patch"] = "delete"
        return container
    if roll < 0.5 or name not in ("api", "sidecar"):
        container["image"] = rng.choice(["registry.eu/a:1", "registry.eu/b:2"])
    if rng.random() < 0.5:
        container["env"] = [{"name": env, "value": str(rng.randint(0, 9))}
                            for env in rng.sample(["A", "B", "Z"], rng.randint(0, 3))]
        if name == "api" and rng.random() < 0.3:
            container["env"].insert(0, {"$patch": "replace"})
    if rng.random() < 0.3:
        container["volumeMounts"] = [{"name": "etc", "mountPath": rng.choice(["/etc/web", "/new"])}]
    if rng.random() < 0.3:
        # Without a protocol a port matches none of the object's (which give
        # one): kustomize drops it, and so must the stage.
        port = {"containerPort": rng.choice([5000, 8080]), "name": "p"}
        if rng.random() < 0.7:
            port["protocol"] = rng.choice(["TCP", "UDP"])
        container["ports"] = [port]
    if rng.random() < 0.2:
        container["resources"] = None
    if rng.random() < 0.2:
        container["args"] = ["--region", "eu"]
    return container


def random_patch(seed: int) -> dict:
    rng = random.Random(seed)
    spec: dict = {"containers": [_container(rng, name) for name in
                                 rng.sample(CONTAINERS, rng.randint(1, 3))]}
    if rng.random() < 0.3:
        spec["volumes"] = [{"name": rng.choice(["etc", "keys", "region"]), "emptyDir": {}}]
    elif rng.random() < 0.2:
        spec["volumes"] = [{"name": rng.choice(["etc", "all"]), "$patch": "delete"}]
    if rng.random() < 0.2:
        spec["tolerations"] = [{"key": "region", "operator": "Exists"}]
    if rng.random() < 0.2:
        spec["initContainers"] = [{"name": rng.choice(["init", "init2"]), "image": "i:2"}]
    if rng.random() < 0.2:
        spec["imagePullSecrets"] = [{"name": rng.choice(["pull-secret", "region-pull"])}]
    if rng.random() < 0.2:
        spec["nodeSelector"] = {"region": "eu"} if rng.random() < 0.5 else None
    return spec


@pytest.mark.parametrize("seed", range(24))
def test_random_strategic_patch_gives_what_kustomize_gives(seed, tmp_path):
    case = Case(SMALL, {"patches": [{"patch": smp("Deployment", "web-api", pod(random_patch(seed)))}]})
    assert engine(case, tmp_path / "e") == kustomize(case, tmp_path / "k"), random_patch(seed)
