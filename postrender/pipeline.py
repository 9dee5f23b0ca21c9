"""The stages a region declares, chained in order over the parsed stream.

Order matters and is fixed: the region overlay first (it may add the region's
own objects and change images), then hot-fix patches (they key on the final
images), then placement (it sees every pod the stream will hold, hot-fix and
overlay objects included), then Job names (they follow the final pod
templates; always on), then the --check policy.

A stage is anything with a `name` and `apply(documents, diagnostics)`. Each
stage module has `load(overlay_dir) -> Stage | None`, None meaning the overlay
declares nothing for it. Stages do no I/O of their own beyond `OverlayDir`.
"""
from __future__ import annotations

import os
from typing import Protocol

from postrender import hotfix, jobnames, overlay, placement, yamlio
from postrender.diagnostics import Diagnostics
from postrender.document import Document
from postrender.errors import PostRenderError
from postrender.overlaydir import OverlayDir

# Set by the test suite: prove after each stage that every document a stage
# changed was touched, so the emitter never writes stale original text.
VERIFY_ENV = "OSH_POSTRENDER_VERIFY_TOUCH"


class Stage(Protocol):
    name: str

    def apply(self, documents: list[Document], diagnostics: Diagnostics) -> list[Document]: ...


STAGE_MODULES = (overlay, hotfix, placement)


def build(overlay_dir: OverlayDir | None, *, check_policy: bool = False,
          stream_name: str = overlay.STREAM_NAME) -> list[Stage]:
    """The stages the overlay declares; `stream_name` is the overlay's name for the stream."""
    stages: list[Stage] = []
    if overlay_dir is not None:
        for module in STAGE_MODULES:
            stage = (overlay.load(overlay_dir, stream_name=stream_name) if module is overlay
                     else module.load(overlay_dir))
            if stage is not None:
                stages.append(stage)
    stages.append(jobnames.load())
    if check_policy:
        from postrender import check  # imported only when asked for: start-up time counts
        placed = next((s for s in stages if s.name == "placement"), None)
        stages.append(check.load(overlay_dir, placed.policy if placed else None))
    return stages


def run(stages: list[Stage], documents: list[Document], diagnostics: Diagnostics) -> list[Document]:
    verify = bool(os.environ.get(VERIFY_ENV))
    for stage in stages:
        documents = stage.apply(documents, diagnostics)
        if verify:
            _verify_touched(stage, documents)
    return documents


class UntouchedChange(PostRenderError):
    pass


def _verify_touched(stage: Stage, documents: list[Document]) -> None:
    for doc in documents:
        if not doc.dirty and yamlio.load(doc.text) != doc.obj:
            raise UntouchedChange(f"stage {stage.name!r} changed the document without touch()",
                                  **doc.error_location())
