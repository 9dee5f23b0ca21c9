"""The --check policy stage (findings are added by later work)."""
from __future__ import annotations


class CheckStage:
    name = "check"

    def __init__(self, overlay_dir):
        self.overlay_dir = overlay_dir

    def apply(self, documents, diagnostics):
        return documents


def load(overlay_dir):
    return CheckStage(overlay_dir)
