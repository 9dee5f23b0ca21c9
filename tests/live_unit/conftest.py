"""Unit tests of tools/osh_live's pure functions: no podman, no network."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
