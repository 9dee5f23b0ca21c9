"""Read a node inventory: `kubectl get nodes -o yaml`, a v1 List/NodeList, or a Node stream.

Anything that is not a Node is refused with the item's position, so a
`kubectl get pods -o yaml` passed by mistake fails loudly instead of
producing an empty report. Reads only the bytes the CLI hands it.
"""
from __future__ import annotations

import yaml

from postrender import yamlio
from postrender.errors import InputError

LIST_KINDS = ("List", "NodeList")


def nodes(data: bytes, file: str) -> list[dict]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8: byte 0x{data[err.start]:02x} at offset {err.start}",
                         file=file) from None
    try:
        documents = [d for d in yaml.load_all(text, Loader=yamlio.Loader) if d is not None]
    except yaml.YAMLError as err:
        reason, line, column = yamlio.describe(err)
        raise InputError(reason, file=file, line=line, column=column) from None
    found: list[dict] = []
    for i, document in enumerate(documents):
        where = f"document {i + 1}"
        if isinstance(document, dict) and document.get("kind") in LIST_KINDS:
            items = document.get("items")
            if not isinstance(items, list):
                raise InputError("a List must have an items list", file=file, document=where,
                                 field="items")
            for j, item in enumerate(items):
                found.append(_node(item, file, where, f"items[{j}]"))
        else:
            found.append(_node(document, file, where, None))
    if not found:
        raise InputError("holds no Nodes (expected `kubectl get nodes -o yaml` output, "
                         "a v1 List of Nodes, or a stream of Node objects)", file=file)
    names = [n["metadata"]["name"] for n in found]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise InputError(f"Node {duplicate!r} is listed twice", file=file)
    return found


def _node(obj, file: str, where: str, field: str | None) -> dict:
    if not isinstance(obj, dict) or obj.get("kind") != "Node":
        kind = obj.get("kind") if isinstance(obj, dict) else type(obj).__name__
        raise InputError(f"is a {kind or 'object without kind'}, not a Node", file=file,
                         document=where, field=field)
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        raise InputError("a Node needs metadata.name", file=file, document=where,
                         field=f"{field}.metadata.name" if field else "metadata.name")
    labels = metadata.get("labels") or {}
    spec = obj.get("spec") or {}
    if not isinstance(labels, dict) or not isinstance(spec, dict) or not isinstance(
            spec.get("taints") or [], list):
        raise InputError("malformed labels, spec or spec.taints", file=file, document=where,
                         field=field)
    return obj
