"""Run real `kubectl kustomize` and the overlay engine on the same inputs.

`Case` is one input: a stream, a kustomization (without the stream in its
resources) and extra files. `kustomize(case)` and `engine(case)` return the
resulting objects keyed by id, so tests compare them as sets of objects.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from postrender import pipeline, stream
from postrender.diagnostics import Diagnostics
from postrender.overlay import load
from postrender.overlaydir import OverlayDir

KUBECTL = shutil.which("kubectl")
STREAM = "helm-stream.yaml"


@dataclass
class Case:
    stream: str
    kustomization: dict
    files: dict[str, str | bytes] = field(default_factory=dict)

    def write(self, directory: Path, *, with_stream: bool) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        spec = dict(self.kustomization)
        if with_stream:
            spec["resources"] = [STREAM, *spec.get("resources", [])]
            (directory / STREAM).write_text(self.stream)
        (directory / "kustomization.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
        for name, content in self.files.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        return directory


def key(obj: dict) -> tuple:
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace") or "", meta.get("name"))


def by_id(objects) -> dict:
    out = {}
    for obj in objects:
        assert key(obj) not in out, f"duplicate {key(obj)}"
        out[key(obj)] = obj
    return out


def kustomize(case: Case, directory: Path) -> dict:
    case.write(directory, with_stream=True)
    result = subprocess.run([KUBECTL, "kustomize", str(directory)], capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0:
        raise KustomizeFailed(result.stderr)
    return by_id(d for d in yaml.safe_load_all(result.stdout) if d is not None)


class KustomizeFailed(Exception):
    pass


def engine_documents(case: Case, directory: Path, diagnostics: Diagnostics | None = None):
    case.write(directory, with_stream=False)
    stage = load(OverlayDir(directory, directory))
    assert stage is not None
    documents = stream.parse(case.stream)
    # pipeline.run checks (OSH_POSTRENDER_VERIFY_TOUCH) that every change was touched.
    return pipeline.run([stage], documents, diagnostics or Diagnostics())


def engine(case: Case, directory: Path, diagnostics: Diagnostics | None = None) -> dict:
    documents = engine_documents(case, directory, diagnostics)
    # Through the emitter and back, as Helm would read it.
    return by_id(d for d in yaml.safe_load_all(stream.emit(documents)) if d is not None)
