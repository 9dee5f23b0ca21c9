"""Label and annotation values that kustomize's objects share between maps.

When kustomize's labels, commonLabels or commonAnnotations add a key to
several maps of one object (metadata, selectors, pod templates) where it is
missing, every map gets the same YAML node. A later change of that value in
place, by a labels entry that reaches only `metadata/labels` or by a strategic
merge patch in an overlay, changes it in every map that shares the node: a
patch to `metadata.labels.tier` set by a base's commonLabels also changes the
selector and the pod template. This module remembers which maps share a
value and replays those changes; JSON 6902 and generators, which rebuild the
object, end the sharing. It touches nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass

_MISSING = object()


@dataclass
class SharedValue:
    key: str
    value: object
    paths: list[tuple]     # the maps (by path from the object's root) holding one node


def set_entries(obj: dict, targets: list[tuple[tuple, dict]], pairs: dict,
                shared: list[SharedValue]) -> None:
    """Set every pair in every target map, as kustomize's SetEntry sets them."""
    if len(targets) < 2 and not shared:
        for _, mapping in targets:    # one map shares nothing: the common case
            mapping.update(pairs)
        return
    for key in sorted(pairs):
        value = pairs[key]
        absent = [path for path, mapping in targets if key not in mapping]
        for path, mapping in targets:
            if key in mapping:
                _change(obj, shared, path, key, value)
        for _, mapping in targets:
            mapping[key] = value
        for entry in shared:      # a map given a new node leaves its old sharing
            if entry.key == key:
                entry.paths = [p for p in entry.paths if p not in absent]
        if len(absent) > 1:
            shared.append(SharedValue(key, value, absent))
    shared[:] = [entry for entry in shared if len(entry.paths) > 1]


def after_merge(before: dict, after: dict, shared: list[SharedValue]) -> None:
    """Carry a merge patch's change of a shared value to every map sharing it.

    kyaml writes a patched value into the node in place, so the last map the
    merge walks (fields in name order) gives the value to all; a map that lost
    the key, or was replaced, no longer shares it.
    """
    for entry in shared:
        holders = [p for p in entry.paths if _get(before, p, entry.key) == entry.value]
        kept, changed = [], []
        for path in holders:
            now = _get(after, path, entry.key)
            if now is _MISSING:
                continue
            kept.append(path)
            if now != entry.value:
                changed.append(path)
        entry.paths = kept
        if changed:
            entry.value = _get(after, max(changed, key=_walk_order), entry.key)
            for path in kept:
                _map(after, path)[entry.key] = entry.value
    shared[:] = [entry for entry in shared if len(entry.paths) > 1]


def _change(obj: dict, shared: list[SharedValue], path: tuple, key: str, value) -> None:
    for entry in shared:
        if entry.key == key and path in entry.paths and _get(obj, path, key) == entry.value:
            for other in entry.paths:
                mapping = _map(obj, other)
                if mapping is not None and mapping.get(key, _MISSING) == entry.value:
                    mapping[key] = value
            entry.value = value


def _map(obj, path: tuple):
    node = obj
    for step in path:
        if isinstance(node, dict) and isinstance(step, str):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return None
    return node if isinstance(node, dict) else None


def _get(obj, path: tuple, key: str):
    mapping = _map(obj, path)
    return _MISSING if mapping is None else mapping.get(key, _MISSING)


def _walk_order(path: tuple) -> tuple:
    return tuple((0, step, "") if isinstance(step, int) else (1, 0, step) for step in path)
