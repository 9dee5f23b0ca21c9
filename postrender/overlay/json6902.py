"""JSON 6902 patches, applied with the semantics kustomize 5.5 gives them.

kustomize applies them with evanphx/json-patch v4, which departs from RFC
6902 in ways a kustomization may rely on: `replace` of a missing object member
adds it, `test` with `value: null` passes on a missing member, `copy` from a
missing member copies a null, list indices may be negative ("-1" is the last
element) or zero-padded ("01"), and values compare as JSON (1 is not true).
The object passed in is never mutated.
"""
from __future__ import annotations

import re

_INDEX = re.compile(r"[-+]?[0-9]+\Z")   # what Go's strconv.Atoi accepts


class JsonPatchFailure(Exception):
    """An operation does not apply; `operation` is its index, the message says why."""

    operation: int = 0


def apply(obj, operations: list):
    """The object with every operation applied in order."""
    document = _copy(obj)
    for n, operation in enumerate(operations):
        try:
            document = _apply_one(document, operation)
        except JsonPatchFailure as err:
            err.operation = n
            raise
    return document


def _apply_one(document, operation: dict):
    op, path = operation["op"], operation["path"]
    if op == "replace" and path == "":
        value = operation.get("value")
        if not isinstance(value, (dict, list)):
            raise JsonPatchFailure("replacing the whole object needs a mapping or a list")
        return _copy(value)
    if op == "test" and path == "":
        if not _equal(document, operation.get("value")):
            raise JsonPatchFailure("test of the whole object failed")
        return document
    if op == "add":
        container, key = _parent(document, path)
        _add(container, key, _copy(operation.get("value")))
    elif op == "remove":
        container, key = _parent(document, path)
        _remove(container, key)
    elif op == "replace":
        container, key = _parent(document, path)
        if isinstance(container, list):
            container[_existing_index(container, key)] = _copy(operation.get("value"))
        else:
            container[key] = _copy(operation.get("value"))   # added when missing
    elif op in ("move", "copy"):
        try:
            source, key = _parent(document, operation["from"])
            value = _get(source, key)      # a missing member reads as null
            if op == "move":
                _remove(source, key)
        except JsonPatchFailure as err:
            raise JsonPatchFailure(f"from {operation['from']}: {err}") from None
        container, key = _parent(document, path)
        _add(container, key, _copy(value) if op == "copy" else value)
    elif op == "test":
        container, key = _parent(document, path)
        _test(container, key, operation.get("value"))
    else:
        raise JsonPatchFailure(f"unknown op {op!r}")
    return document


def _copy(value):
    # Parsed YAML holds only mappings, lists and scalars: quicker than copy.deepcopy.
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _parent(document, pointer: str):
    """The container holding the pointer's last token, and that token."""
    tokens = _tokens(pointer)
    if not tokens:
        raise JsonPatchFailure("the path names the whole object")
    node = document
    for depth, token in enumerate(tokens[:-1]):
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list) and _INDEX.match(token) and \
                -len(node) <= int(token) < len(node):
            node = node[int(token)]
        else:
            node = None
        if not isinstance(node, (dict, list)):
            missing = "/" + "/".join(t.replace("~", "~0").replace("/", "~1")
                                     for t in tokens[:depth + 1])
            raise JsonPatchFailure(f"there is no mapping or list at {missing}")
    return node, tokens[-1]


def _index(token: str) -> int:
    if not _INDEX.match(token):
        raise JsonPatchFailure(f"{token!r} is not a list index")
    return int(token)


def _existing_index(items: list, token: str) -> int:
    index = _index(token)
    if not -len(items) <= index < len(items):
        raise JsonPatchFailure(f"index {index} is out of range "
                               f"(the list has {len(items)} elements)")
    return index % len(items)


def _get(container, key: str):
    if isinstance(container, dict):
        return container.get(key)
    return container[_existing_index(container, key)]


def _add(container, key: str, value) -> None:
    if isinstance(container, dict):
        container[key] = value
        return
    if key == "-":
        container.append(value)
        return
    index = _index(key)
    size = len(container) + 1
    if index >= size or index < -size:
        raise JsonPatchFailure(f"index {index} is out of range "
                               f"(the list has {len(container)} elements)")
    container.insert(index + size if index < 0 else index, value)


def _remove(container, key: str) -> None:
    if isinstance(container, dict):
        if key not in container:
            raise JsonPatchFailure(f"there is no member {key!r} to remove")
        del container[key]
        return
    del container[_existing_index(container, key)]


def _test(container, key: str, expected) -> None:
    actual = _get(container, key)
    # A missing member and a null one both read as null, and pass against null.
    if actual is None or expected is None:
        if actual is None and expected is None:
            return
    elif _equal(actual, expected):
        return
    raise JsonPatchFailure("test failed: the value there is not the one given")


def _equal(a, b) -> bool:
    """JSON equality: true is not 1, 1 is 1.0, mappings compare by keys and values."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b
