"""Synthetic region-scale Helm 4 streams built from the third-party fixtures.

The fixtures are cycled and every object renamed (`<name>-<copy>`), so that a
10,000-document stream has realistic content and no duplicate identities.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "helm4-input"

_NAME = re.compile(r"^(  name: )(['\"]?)([^'\"\n]+)\2$", re.M)


def _documents() -> list[str]:
    docs = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        for chunk in re.split(r"^---\n", path.read_text(), flags=re.M):
            if chunk.strip():
                docs.append(chunk if chunk.endswith("\n") else chunk + "\n")
    return docs


def helm4_stream(count: int) -> str:
    """`count` documents, cycling through the fixtures with unique names."""
    source = _documents()
    out = []
    for i in range(count):
        doc = source[i % len(source)]
        copy = i // len(source)
        # Only the object's own metadata.name (first two-space indented name) is renamed.
        out.append(_NAME.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}-{copy}{m.group(2)}", doc, count=1))
    return "---\n".join(out)
