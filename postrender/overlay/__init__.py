"""The region overlay stage: a kustomization tree applied to the Helm stream.

Switched on only by `kustomization.yaml` in the overlay directory. It gives
what `kubectl kustomize` gives on the same tree with Helm's output written to
the file that stands for the stream (`all.yaml` wherever it is listed; the
top's first resource when it is listed nowhere); see docs/overlay.md for the
few intended differences. It works on the parsed documents and reads files
only through `OverlayDir`.
"""
from __future__ import annotations

import gc

from postrender.diagnostics import Diagnostics
from postrender.document import Document
from postrender.errors import ConfigError
from postrender.overlay.build import Build
from postrender.overlay.kustomization import FILENAME, STREAM_NAME, Kustomization, Reader
from postrender.overlaydir import OverlayDir


class OverlayStage:
    name = "overlay"

    def __init__(self, kustomization: Kustomization):
        self.kustomization = kustomization  # every file it names is already read

    def apply(self, documents: list[Document], diagnostics: Diagnostics) -> list[Document]:
        # The parsed stream outlives the stage: keep the cyclic collector from
        # rescanning it on every collection, or time grows faster than the
        # stream (bench/bench_overlay.py). The command line may have frozen it.
        freeze = gc.get_freeze_count() == 0
        if freeze:
            gc.freeze()
        try:
            return Build(self.kustomization, documents, diagnostics).run()
        finally:
            if freeze:
                gc.unfreeze()


# Names kustomize also accepts; here they would be ignored, so they are refused.
OTHER_NAMES = ("kustomization.yml", "Kustomization")


def load(overlay_dir: OverlayDir, *, stream_name: str = STREAM_NAME) -> OverlayStage | None:
    """The stage, or None without kustomization.yaml.

    `stream_name` is the resource file name that stands for the Helm stream
    anywhere in the kustomization tree.
    """
    for name in OTHER_NAMES:
        if overlay_dir.file(name) is not None:
            raise ConfigError(f"rename it to {FILENAME}: only {FILENAME} switches the overlay on",
                              file=overlay_dir.display(overlay_dir.path / name))
    if overlay_dir.file(FILENAME) is None:
        return None
    kustomization = Reader(overlay_dir, overlay_dir.path, stream_name=stream_name).read()
    entries = kustomization.stream_entries()
    if len(entries) > 1:
        # kustomize would read the same objects twice and refuse the duplicate ids.
        raise ConfigError(f"the Helm stream ({stream_name}) is listed more than once in the "
                          f"tree: {'; '.join(entries)}", file=kustomization.file)
    return OverlayStage(kustomization)
