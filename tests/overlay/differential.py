"""Run real `kubectl kustomize` and the overlay engine on the same inputs.

`Case` is one input: a stream, a kustomization (without the stream in its
resources) and extra files. `Tree` is a kustomization tree: every file by
path, the directory to build, and where kustomize finds Helm's output (the
file the engine's stream stands for). `kustomize(case)` and `engine(case)`
return the resulting objects keyed by id, so tests compare them as sets of
objects; `kustomize_list` and `engine_list` keep the output order.
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
STREAM_NAME = "all.yaml"


def _write_files(directory: Path, files: dict) -> None:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, dict):
            path.write_text(yaml.safe_dump(content, sort_keys=False))
        else:
            path.write_text(content)


@dataclass
class Case:
    stream: str
    kustomization: dict
    files: dict[str, str | bytes] = field(default_factory=dict)
    fails: bool = False       # both sides must refuse it

    stream_name = STREAM_NAME

    @property
    def ordered(self) -> bool:
        """Whether the order counts: only sortOptions makes both sides agree on it."""
        return "sortOptions" in self.kustomization

    def write(self, directory: Path, *, with_stream: bool) -> Path:
        """The directory to build (the project root is `directory`)."""
        directory.mkdir(parents=True, exist_ok=True)
        spec = dict(self.kustomization)
        if with_stream:
            spec["resources"] = [STREAM, *spec.get("resources", [])]
            (directory / STREAM).write_text(self.stream)
        (directory / "kustomization.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
        _write_files(directory, self.files)
        return directory


@dataclass
class Tree:
    """A kustomization tree. `files` holds every kustomization (a dict) and file;
    kustomize reads Helm's output from `stream_at`, where the engine's stream
    stands (None: the stream is the top's first resource, listed nowhere)."""

    stream: str
    files: dict[str, str | bytes | dict]
    top: str = "."
    stream_at: str | None = "all.yaml"
    stream_name: str = STREAM_NAME
    fails: bool = False

    @property
    def ordered(self) -> bool:
        return "sortOptions" in self.files[str(Path(self.top) / "kustomization.yaml")]

    def write(self, directory: Path, *, with_stream: bool) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        _write_files(directory, self.files)
        top = directory / self.top
        if with_stream:
            if self.stream_at is None:
                spec = yaml.safe_load((top / "kustomization.yaml").read_text())
                spec["resources"] = [STREAM, *spec.get("resources", [])]
                (top / "kustomization.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
                (top / STREAM).write_text(self.stream)
            else:
                (directory / self.stream_at).write_text(self.stream)
        return top


def key(obj: dict) -> tuple:
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace") or "", meta.get("name"))


def by_id(objects) -> dict:
    out = {}
    for obj in objects:
        assert key(obj) not in out, f"duplicate {key(obj)}"
        out[key(obj)] = obj
    return out


class KustomizeFailed(Exception):
    pass


def kustomize_list(case: Case | Tree, directory: Path) -> list[dict]:
    top = case.write(directory, with_stream=True)
    result = subprocess.run([KUBECTL, "kustomize", str(top)], capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0:
        raise KustomizeFailed(result.stderr)
    return [d for d in yaml.safe_load_all(result.stdout) if d is not None]


def kustomize(case: Case | Tree, directory: Path) -> dict:
    return by_id(kustomize_list(case, directory))


def engine_documents(case: Case | Tree, directory: Path, diagnostics: Diagnostics | None = None,
                     *, with_stream_file: bool = False):
    top = case.write(directory, with_stream=with_stream_file)
    options = {"stream_name": case.stream_name} if case.stream_name != STREAM_NAME else {}
    stage = load(OverlayDir(top, directory), **options)
    assert stage is not None
    documents = stream.parse(case.stream)
    # pipeline.run checks (OSH_POSTRENDER_VERIFY_TOUCH) that every change was touched.
    return pipeline.run([stage], documents, diagnostics or Diagnostics())


def engine_list(case: Case | Tree, directory: Path, diagnostics: Diagnostics | None = None,
                **options) -> list[dict]:
    documents = engine_documents(case, directory, diagnostics, **options)
    # Through the emitter and back, as Helm would read it.
    return [d for d in yaml.safe_load_all(stream.emit(documents)) if d is not None]


def engine(case: Case | Tree, directory: Path, diagnostics: Diagnostics | None = None) -> dict:
    return by_id(engine_list(case, directory, diagnostics))
