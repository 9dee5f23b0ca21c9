"""The hotfix stage (not yet implemented: declares nothing)."""


def load(overlay_dir):
    return None
