"""The resources one kustomization level builds on (kustomize's resource accumulator).

A kustomization collects its resources here, runs its generators and
transformers on them, and hands them to the kustomization that includes it.
Each resource keeps its document (so an untouched one keeps its text), its
original id (targets match the original and the current name), and whether
it awaits a hash suffix. Ids stay unique, as kustomize demands.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from postrender.document import Document
from postrender.errors import ConfigError
from postrender.overlay import strategic
from postrender.overlay.selector import ResourceIndex, effective_namespace


@dataclass
class Slot:
    """One resource being built: its document and what kustomize notes about it."""

    document: Document
    original: tuple[str, str | None]   # (name, namespace) before any transformer ran
    needs_hash: bool = False
    pruned: bool = False    # its bare `key:` fields are gone (a merge walked it, or JSON)
    shared: list = field(default_factory=list)   # sharedvalues.SharedValue: one node, many maps

    def empty_nulls(self) -> frozenset:
        if self.pruned or self.document.text is None:
            return frozenset()
        self.pruned = True
        if not strategic.has_null(self.document.obj):
            return frozenset()  # the common case: no need to read the text again
        return strategic.empty_null_paths(self.document.text)


def new_slot(document: Document, *, needs_hash: bool = False) -> Slot:
    meta = document.obj.get("metadata") or {}
    return Slot(document, (meta.get("name", ""), meta.get("namespace")), needs_hash)


def resource_id(obj: dict) -> tuple:
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("name"),
            effective_namespace(obj.get("kind", ""), meta.get("namespace")))


class Resources:
    """The live resources of one level, in kustomize's order, with their index."""

    def __init__(self):
        self.slots: list[Slot] = []
        self.index = ResourceIndex([])
        self._ids: dict[tuple, int] = {}

    def add(self, slot: Slot, location: dict, error=ConfigError) -> int:
        position = self.index.append(slot.document.obj, original=slot.original)
        self.slots.append(slot)
        key = resource_id(slot.document.obj)
        if key in self._ids:
            first = self.slots[self._ids[key]].document
            raise error(f"{key[1]}/{key[2]} is defined twice (first as "
                        f"{_address(first)}); kustomize refuses duplicate ids", **location)
        self._ids[key] = position
        return position

    def absorb(self, other: "Resources", location: dict) -> None:
        """Take over the live resources of an included kustomization, in order."""
        for position, _ in other.live():
            self.add(other.slots[position], location)

    def replace(self, position: int, obj: dict | None) -> None:
        """Set a resource's object (None deletes it), touching it only if it changed."""
        slot = self.slots[position]
        if obj is not None and obj == slot.document.obj:
            return
        slot.document.touch()
        if obj is not None:
            slot.document.obj = obj
        self.index.update(position, obj)

    def edit(self, position: int) -> dict:
        """The live object, touched, for in-place edits."""
        return self.slots[position].document.touch()

    def live(self):
        for position, obj in enumerate(self.index.objects):
            if obj is not None:
                yield position, obj

    def documents(self) -> list[Document]:
        return [self.slots[position].document for position, _ in self.live()]

    def address(self, position: int) -> str:
        return _address(self.slots[position].document)


def _address(doc: Document) -> str:
    return doc.address() + (f" ({doc.file})" if doc.file else "")
