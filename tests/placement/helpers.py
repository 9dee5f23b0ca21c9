"""Building regions and streams for the placement tests, in-process."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import kubernetes_validate
import yaml

from postrender import pipeline, placement, stream, yamlio
from postrender.diagnostics import Diagnostics
from postrender.overlaydir import OverlayDir
from tests.conftest import ROOT

BASE = ROOT / "placement" / "base.yaml"
KUBERNETES_VERSIONS = ("1.30.0", "1.33.0")


def region(tmp_path: Path, policy: str, *, base: bool = True) -> OverlayDir:
    """A project root in tmp_path with overlays/r/placement.yaml (and the real base policy)."""
    root = tmp_path / "root"
    overlay = root / "overlays" / "r"
    overlay.mkdir(parents=True)
    if base:
        (root / "placement").mkdir()
        shutil.copy(BASE, root / "placement" / "base.yaml")
    (overlay / "placement.yaml").write_text(textwrap.dedent(policy))
    return OverlayDir(overlay, root)


def place(text: str, overlay: OverlayDir, *, check: bool = False):
    """(documents, diagnostics, output text) after the placement stage alone."""
    stage = placement.load(overlay)
    assert stage is not None
    documents = stream.parse(textwrap.dedent(text))
    diagnostics = Diagnostics(check=check)
    documents = pipeline.run([stage], documents, diagnostics)
    return documents, diagnostics, stream.emit(documents)


def objects(text: str) -> list[dict]:
    return [d for d in yaml.load_all(text, Loader=yamlio.Loader) if d is not None]


def validate(obj: dict) -> None:
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(obj, version, strict=True)


def workload(kind: str, name: str = "w", *, labels: dict | None = None, spec: dict | None = None,
             replicas: int | None = None, annotations: dict | None = None,
             template_annotations: dict | None = None) -> dict:
    """A minimal valid object of `kind` whose pod spec is `spec` plus one container."""
    labels = labels or {"app.kubernetes.io/name": "keystone", "app.kubernetes.io/component": "api"}
    pod_spec = {"containers": [{"name": "c", "image": "registry.example/c:1"}], **(spec or {})}
    pod_meta = {"labels": dict(labels)}
    if template_annotations:
        pod_meta["annotations"] = dict(template_annotations)
    meta = {"name": name, "labels": dict(labels)}
    if annotations:
        meta["annotations"] = dict(annotations)
    if kind == "Pod":
        if template_annotations:
            meta.setdefault("annotations", {}).update(template_annotations)
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}
    if kind in ("Job", "CronJob"):
        pod_spec.setdefault("restartPolicy", "Never")
    template = {"metadata": pod_meta, "spec": pod_spec}
    if kind == "CronJob":
        return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}}
    if kind == "Job":
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
                "spec": {"template": template}}
    if kind == "ReplicationController":
        body = {"selector": dict(labels), "template": template}
        api = "v1"
    else:
        body = {"selector": {"matchLabels": dict(labels)}, "template": template}
        api = "apps/v1"
    if kind == "StatefulSet":
        body["serviceName"] = name
    if replicas is not None:
        body["replicas"] = replicas
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": body}


def dump_stream(*objs: dict) -> str:
    return "".join("---\n" + yamlio.dump(o) for o in objs)


def pod_spec_of(obj: dict) -> dict:
    from postrender import podtemplate
    return podtemplate.pod_spec(obj)
