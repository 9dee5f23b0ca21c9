"""Hot-fix patches: the stage a region switches on with hotfix.yaml in its overlay dir.

Unified diffs under the patch dirs become `<component>-patches` ConfigMaps,
mounted into the component's Kolla containers; the stage lives in `stage`, the
patch list in `catalog`, the `patches verify` command in `command`.
"""
from __future__ import annotations

from postrender.overlaydir import OverlayDir


def load(overlay_dir: OverlayDir):
    """The stage, or None when the overlay declares no hot-fixes."""
    # Imported here, not above: the command line imports this package to
    # register `patches verify`, and must not pay for the stage before it
    # knows it needs it (start-up time is most of a small render).
    from postrender.hotfix import stage

    return stage.load(overlay_dir)
