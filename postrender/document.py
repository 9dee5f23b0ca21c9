"""One Kubernetes object of the stream, with the text it came from.

A document keeps its original text so that the emitter can write it back
byte for byte when no stage changed it. A stage that changes `obj` must call
`touch()` first; the emitter then writes `obj` instead of the text.
"""
from __future__ import annotations

from typing import Any

# Helm 4 maps each post-rendered document back to its template by this annotation.
HELM4_FILENAME = "postrenderer.helm.sh/postrender-filename"


class Document:
    __slots__ = ("obj", "index", "text", "header", "source", "dirty")

    def __init__(self, obj: dict, *, index: int | None = None, text: str | None = None,
                 header: str = "", source: str | None = None):
        self.obj = obj
        self.index = index        # position in the input stream; None for new objects
        self.text = text          # exact input text, including its '---' line
        self.header = header      # comment lines before the body, e.g. Helm 3's '# Source:'
        self.source = source      # Helm 3 '# Source:' path, when there was one
        self.dirty = text is None

    def touch(self) -> dict:
        """Mark the document changed and return its object for editing."""
        self.dirty = True
        return self.obj

    @property
    def kind(self) -> str:
        return self.obj.get("kind", "")

    @property
    def api_version(self) -> str:
        return self.obj.get("apiVersion", "")

    @property
    def metadata(self) -> dict:
        return self.obj.get("metadata") or {}

    @property
    def name(self) -> str:
        return self.metadata.get("name", "")

    @property
    def namespace(self) -> str | None:
        return self.metadata.get("namespace")

    @property
    def labels(self) -> dict:
        return self.metadata.get("labels") or {}

    @property
    def annotations(self) -> dict:
        return self.metadata.get("annotations") or {}

    @property
    def file(self) -> str | None:
        """The chart template this object came from, as Helm 3 or Helm 4 named it."""
        return self.source or self.annotations.get(HELM4_FILENAME)

    def address(self) -> str:
        """'document 3 Deployment/keystone-api', for error messages."""
        where = f"document {self.index + 1}" if self.index is not None else "new document"
        return f"{where} {self.kind}/{self.name}"

    def error_location(self) -> dict[str, Any]:
        """Keyword arguments that put this document's address on a PostRenderError."""
        return {"file": self.file or "<stdin>", "document": self.address()}

    def __repr__(self) -> str:
        return f"<Document {self.address()}{' dirty' if self.dirty else ''}>"
