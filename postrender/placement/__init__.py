"""Node placement: the stage a region switches on with placement.yaml in its overlay dir.

`load` reads the policy (placement.yaml and the files it includes) and
returns the stage, or None when the overlay declares no placement; the
policy schema lives in `policy`, the merge into pod specs in `stage`.
"""
from __future__ import annotations

from postrender.overlaydir import OverlayDir


def load(overlay_dir: OverlayDir):
    """The stage (`stage.PlacementStage`), or None when the overlay declares no placement."""
    # Imported here, not above: the command line imports this package to
    # register `place`, and must not pay for the stage before it knows it
    # needs it (start-up time is most of a small render).
    from postrender.placement import policy
    from postrender.placement.stage import PlacementStage

    loaded = policy.load(overlay_dir)
    return None if loaded is None else PlacementStage(loaded)
