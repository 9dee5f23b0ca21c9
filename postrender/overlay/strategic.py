"""Strategic merge patches, merged as kustomize 5.5 merges them.

kustomize walks the object and the patch together (kyaml's merge2 walker):
every field of the object is visited, a list that the Kubernetes OpenAPI data
gives a merge strategy (postrender/data/patch_schema.json, from `schemagen`)
is merged element by element by its merge keys and reordered as that walker
reorders it, and every other list is replaced. This module replays the walk
on private copies: the object and the patch passed in are never mutated.
The few deliberate departures (docs/overlay.md) are marked where they happen.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from postrender import yamlio

NULL = "tag:yaml.org,2002:null"
DIRECTIVE = "$patch"
DIRECTIVES = ("delete", "replace", "merge")
RETAIN_KEYS = "$retainKeys"
ORDER_PREFIX = "$setElementOrder/"
DELETE_PREFIX = "$deleteFromPrimitiveList/"


class PatchFailure(Exception):
    """The patch cannot be applied; the message says where inside the object."""


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING = _Marker("MISSING")      # no such field (a Go nil node)
KEEP_NULL = _Marker("KEEP_NULL")  # the object's explicit `key: null`, which the walk keeps
BARE = _Marker("BARE")            # the object's bare `key:`, which the walk drops
FOUND = _Marker("FOUND")


@lru_cache(maxsize=1)
def schema() -> dict:
    # A path beside this package, not importlib.resources: that module alone
    # imports tempfile, shutil and the compressors, milliseconds of every run.
    text = (Path(__file__).resolve().parent.parent / "data" / "patch_schema.json").read_text()
    return json.loads(text)


def object_type(obj: dict) -> str | None:
    return schema()["kinds"].get(f"{obj.get('apiVersion', '')}/{obj.get('kind', '')}")


def _field(type_name: str | None, name) -> tuple[str | None, list | None]:
    if type_name is None:
        return None, None
    entry = schema()["types"].get(type_name, {}).get(name)
    return (entry[0], entry[1]) if entry else (None, None)


def apply(obj: dict, patch: dict, empty_nulls: frozenset = frozenset(),
          lost: list | None = None) -> dict | None:
    """The object with the patch merged in; None if the patch deletes it.

    `empty_nulls` holds the paths of fields written as a bare `key:` (see
    `empty_null_paths`): kustomize's walk drops those and keeps `key: null`.
    Patch elements that kustomize's walk loses are appended to `lost` as
    (path of the list, the element's merge key values, the list's merge keys).
    """
    walk = _Walk(lost if lost is not None else [])
    dest = _copy(obj)
    marked = sum(_mark_bare(dest, path) for path in empty_nulls)
    result = walk.value(dest, _copy(patch), object_type(obj), None, "")
    if not isinstance(result, dict):
        return None
    # A bare `key:` the walk never reached (in a list kept whole) stays a null.
    return _unmark(result) if walk.bare_dropped != marked else result


def has_null(value) -> bool:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for item in current.values():
                if item is None:
                    return True
                if isinstance(item, (dict, list)):
                    stack.append(item)
        elif isinstance(current, list):
            stack.extend(v for v in current if isinstance(v, (dict, list)))
    return False


def empty_null_paths(text: str) -> frozenset:
    """Paths (keys and indices) of the map fields left empty in a YAML document."""
    found = set()
    stack = [((), yaml.compose(text, Loader=yamlio.Loader))]
    while stack:
        path, node = stack.pop()
        if isinstance(node, MappingNode):
            for key, value in node.value:
                here = (*path, key.value)
                if isinstance(value, ScalarNode) and value.tag == NULL and value.value == "":
                    found.add(here)
                else:
                    stack.append((here, value))
        elif isinstance(node, SequenceNode):
            stack.extend(((*path, n), item) for n, item in enumerate(node.value))
    return frozenset(found)


# -- values as kyaml sees them ------------------------------------------------------
def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _mark_bare(obj: dict, path: tuple) -> int:
    """Mark the object's bare `key:` at the path (1), or nothing there (0)."""
    node = obj
    for step in path[:-1]:
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return 0
    if isinstance(node, dict) and path[-1] in node and node[path[-1]] is None:
        node[path[-1]] = BARE
        return 1
    return 0


def _unmark(value):
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = None if item is BARE else _unmark(item)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            value[n] = _unmark(item)
    return value


def _null(value) -> bool:
    return value is MISSING or value is None or value is BARE or value is KEEP_NULL


def _kind(value) -> str | None:
    if _null(value):
        return None
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a scalar"


_FLOAT_TEXT = {float("inf"): ".inf", float("-inf"): "-.inf"}


def _text(value) -> str:
    """The text of a scalar node (kyaml compares merge keys as text: 80 and "80" match)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is BARE or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, float):
        return _FLOAT_TEXT.get(value, repr(value))
    return str(value)


def _key_value(value) -> str:
    """A merge key's value, "" when it is missing, null or empty (kyaml's ElementValuesList)."""
    if _null(value) or value == {} or value == []:
        return ""
    return _text(value)


_INT = re.compile(r"[-+]?[0-9]+\Z")
_SCALARS = (str, int, bool, float)


def _scalar(text: str):
    # kyaml writes a restored key as an untagged scalar: YAML gives it its type back.
    return int(text) if _INT.match(text) else text


# -- kyaml's list primitives, on Python lists --------------------------------------
def _field_match(element, name: str, value: str):
    """FOUND when the element has field `name` (with text `value`, when one is given)."""
    if name == "":
        if isinstance(element, (dict, list)):
            raise PatchFailure("a list of values holds a mapping or a list")
        return FOUND if _text(element) == value else None
    if not isinstance(element, dict):
        raise PatchFailure("a list merged by key holds something other than a mapping")
    if name in element and (value == "" or _text(element[name]) == value):
        return FOUND
    return None


def _set_element(items: list, element, keys: list, values: list) -> None:
    """kyaml's ElementSetter: replace every element matching keys=values with
    `element` (delete them when it is None), append it when none matched.

    As in kyaml, empty elements are dropped on the way, and with fewer values
    than keys the last comparison decides for the rest.
    """
    keys = keys or [""]
    mapping_setter = keys[0] != "" and bool(values) and values[0] != ""
    kept, matched = [], False
    for item in items:
        if _null(item) or item == {}:
            continue
        if mapping_setter and not isinstance(item, dict):
            kept.append(item)
            continue
        found = None
        for j, key in enumerate(keys):
            if j < len(values):
                found = _field_match(item, key, values[j])
            if found is None:
                break
        if found is None:
            if values:
                kept.append(item)
            continue
        matched = True
        if element is not None:
            kept.append(element)
    items[:] = kept
    if element is not None and not matched:
        items.append(element)


def _element(items, keys: list, values: list):
    """The first element with every keys[i] equal to values[i] (kyaml's MatchElementList)."""
    if not isinstance(items, list):
        return None
    keys, values = keys or [""], values or [""]
    if keys[0] == "":
        return next((item for item in items if _text(item) == values[0]), None)
    for item in items:
        if isinstance(item, dict) and all(
                key in item and _text(item[key]) == value for key, value in zip(keys, values)):
            return item
    return None


def _usable_keys(all_values: list, values: list, keys: list) -> tuple[list, list]:
    """The merge keys that carry a value somewhere, and this element's values for them."""
    present = {keys[i] for each in all_values for i, v in enumerate(each) if v != ""}
    if not present:
        return keys, values
    return ([k for k in keys if k in present],
            [v for i, v in enumerate(values) if v != "" or keys[i] in present])


def _combine(values: list) -> None:
    """Key values that differ only where one is empty stand for the same element.

    kyaml merges such pairs in place, each outer entry compared as it was
    when its turn began.
    """
    for i in range(len(values)):
        first = values[i]
        for j in range(len(values)):
            second = values[j]
            if len(first) != len(second):
                continue
            common, merged = False, []
            for a, b in zip(first, second):
                if a == b:
                    common = True
                    merged.append(a)
                elif a != "" and b != "":
                    break
                else:
                    merged.append(a or b)
            else:
                if common:
                    values[i] = merged
                    values[j] = merged


def _append_all(items: list, existing: list, keys: list) -> list:
    """kyaml's appendListNode: set each element of `existing` into `items`.

    With several merge keys an element is taken out and appended again, so
    the object's elements end up after the patch's new ones.
    """
    for element in list(existing):
        if keys[0] == "":
            _set_element(items, element, [""], [_text(element)])
            continue
        values = []
        for key in keys:
            if element is not None and not isinstance(element, dict):
                raise PatchFailure("a list merged by key holds something other than a mapping")
            if element is None or key not in element:
                items.append(element)
                continue
            values.append(_text(element[key]))
        if len(keys) > 1:
            _set_element(items, None, keys, values)
        _set_element(items, element, keys, values)
    return items


def _label(keys: list, values: list) -> str:
    return ",".join(f"{k}={v}" for k, v in zip(keys, values) if k and v) \
        or ",".join(f"{k}={v}" for k, v in zip(keys, values))


class _Walk:
    def __init__(self, lost: list):
        self.lost = lost
        self.bare_dropped = 0      # bare `key:` fields the walk dropped (see apply)

    def value(self, dest, origin, ref: str | None, keys: list | None, path: str):
        if origin is MISSING:
            return self.keep(dest, ref, keys, path)
        kind = _kind(dest) or _kind(origin)
        for source in (dest, origin):
            if _kind(source) not in (None, kind):
                raise PatchFailure(f"{path or '.'}: the object has {_kind(dest)} where the "
                                   f"patch has {_kind(origin)}")
        if kind is None or kind == "a mapping":
            return self.map(dest, origin, ref, path)
        if kind == "a list":
            if keys is None:
                return origin if origin is not MISSING else dest   # replaced whole
            return self.merge_list(dest, origin, ref, keys, path)
        return origin if origin is not MISSING else dest

    # -- what the patch does not touch ------------------------------------------------
    def keep(self, dest, ref: str | None, keys: list | None, path: str):
        """The walk over a value of the object that the patch leaves alone.

        The same as `value` with no patch, only quicker: it is most of the walk.
        """
        if isinstance(dest, dict):
            self._keep_map(dest, ref, path)
            return dest
        if isinstance(dest, list):
            return dest if keys is None else self.merge_list(dest, MISSING, ref, keys, path)
        if dest is BARE:
            self.bare_dropped += 1
            return MISSING
        return KEEP_NULL if dest is None else dest

    def _keep_map(self, dest: dict, ref: str | None, path: str) -> None:
        if ref is None:
            ref = _embedded_type(dest, MISSING)
        for key, item in list(dest.items()):
            if item is None or item.__class__ in _SCALARS:
                continue     # kept as it is, an explicit null too
            if item is BARE:
                self.bare_dropped += 1
                del dest[key]
                continue
            field_ref, field_keys = _field(ref, key)
            result = self.keep(item, field_ref, field_keys, f"{path}.{key}" if path else str(key))
            if result is not item:
                dest[key] = result

    def _keep_list(self, dest: list, ref: str | None, keys: list, path: str) -> bool:
        """Walk a list merged by key in place when kyaml's walk would leave it as it is.

        That is when every element gives every merge key (every value is distinct, for
        a list of values), each tuple of key values once: no element then matches
        another, none is empty, and the order stays. False: take the long way.
        """
        seen = set()
        if not keys:
            for element in dest:
                if element is None or isinstance(element, (dict, list)):
                    return False
                seen.add(_text(element))
            return len(seen) == len(dest)
        for element in dest:
            if not isinstance(element, dict) or not element:
                return False
            values = tuple(_key_value(element.get(k, MISSING)) for k in keys)
            if "" in values or values in seen:
                return False
            seen.add(values)
        for element in dest:
            self._keep_map(element, ref, path)
        return True

    # -- maps ----------------------------------------------------------------------
    def map(self, dest, origin, ref: str | None, path: str):
        if ref is None:
            ref = _embedded_type(dest, origin)
        if _null(dest):
            if dest is BARE:
                self.bare_dropped += 1
            if origin is MISSING:
                return KEEP_NULL if dest is None else MISSING
            if origin is None:
                return None
            if _map_directive(origin, path) == "delete":
                return MISSING
            dest = origin   # a new subtree: kyaml merges the patch with itself
        elif origin is None:
            return MISSING
        elif isinstance(origin, dict):
            directive = _map_directive(origin, path)
            if directive == "delete":
                return MISSING
            if directive == "replace":
                dest = origin
        extra = _take_extra_directives(origin) if isinstance(origin, dict) else None
        source = origin if isinstance(origin, dict) else {}
        names = set(dest) if source is dest else set(dest) | set(source)
        for key in sorted(names, key=str):
            field_ref, field_keys = _field(ref, key)
            here = f"{path}.{key}" if path else str(key)
            value = self.value(dest.get(key, MISSING), source.get(key, MISSING),
                               field_ref, field_keys, here)
            if value is MISSING or value is None:
                dest.pop(key, None)
            else:
                dest[key] = None if value is KEEP_NULL else value
        if extra:
            _apply_extra_directives(dest, extra, ref, path)
        return dest

    # -- lists merged by key ----------------------------------------------------------
    def merge_list(self, dest, origin, ref: str | None, keys: list, path: str):
        if isinstance(origin, list):
            directive = _list_directive(origin, path)
            if directive == "delete":
                return MISSING
            # kyaml reads a list's directive only when the object has the list,
            # and otherwise copies it into the object: here it always applies.
            if directive == "replace" or _null(dest):
                dest = origin
        elif origin is None:
            return MISSING
        if _null(dest):
            return MISSING
        if origin is MISSING and self._keep_list(dest, ref, keys, path):
            return dest
        if keys:
            if isinstance(origin, list):
                _refuse_repeats(origin, keys, path)
            values = _element_values(dest, origin, keys)
        else:
            keys, values = [""], _primitive_values(dest, origin)
        return self._set_elements(values, keys, dest, origin, ref, path)

    def _set_elements(self, all_values: list, keys: list, dest: list, origin, ref, path: str):
        """kyaml's setAssociativeSequenceElements, in the order it prepends a patch."""
        if len(keys) > 1:
            _combine(all_values)
        items: list = []
        usable = keys
        results: dict[int, object] = {}    # id(patch element) -> what the walk made of it
        for values in all_values:
            usable, usable_values = _usable_keys(all_values, values, keys)
            match_keys, match_values = _usable_keys([usable_values], usable_values, usable)
            existing = _element(dest, match_keys, match_values)
            patched = _element(origin, match_keys, match_values)
            here = f"{path}[{_label(match_keys, match_values)}]"
            merged = self.value(MISSING if existing is None else existing,
                                MISSING if patched is None else patched, ref, None, here)
            if patched is not None:
                results[id(patched)] = merged
            if _null(merged) or merged == {}:
                _set_element(dest, None, usable, usable_values)
                continue
            if isinstance(merged, dict):
                for key, value in zip(usable, usable_values):
                    if key not in merged and value != "":
                        merged[key] = _scalar(value)
            _set_element(items, merged, usable, usable_values)
        if not all_values:
            return dest
        items = _append_all(items, dest, usable)
        if isinstance(origin, list) and origin is not dest and keys[0] != "":
            self._note_lost(origin, results, items, keys, path)
        return items

    def _note_lost(self, origin: list, results: dict, items: list, keys: list, path: str):
        kept = {id(item) for item in items}
        for element in origin:
            if not isinstance(element, dict):
                continue
            result = results.get(id(element), MISSING)
            if id(element) not in results or (isinstance(result, dict) and result != {}
                                               and id(result) not in kept):
                values = [_key_value(element.get(k, MISSING)) for k in keys]
                self.lost.append((path, _label(keys, values), keys))


def _embedded_type(dest, origin) -> str | None:
    # kyaml falls back to a map's own apiVersion and kind when its field has no schema.
    for source in (dest, origin):
        if isinstance(source, dict):
            kind, api_version = source.get("kind"), source.get("apiVersion")
            if isinstance(kind, str) and kind and isinstance(api_version, str) and api_version:
                found = schema()["kinds"].get(f"{api_version}/{kind}")
                if found:
                    return found
    return None


def _map_directive(patch: dict, path: str) -> str:
    """The map's $patch directive, taken out of the patch ("merge" when there is none)."""
    if DIRECTIVE not in patch:
        return "merge"
    value = patch[DIRECTIVE]
    if value not in DIRECTIVES:
        raise PatchFailure(f"{path or '.'}: unknown $patch directive {value!r} "
                           "(delete, replace or merge)")
    del patch[DIRECTIVE]
    return value


def _list_directive(patch: list, path: str) -> str:
    """A list's directive: its first mapping with $patch, when that is all it holds."""
    holder = next((e for e in patch if isinstance(e, dict) and DIRECTIVE in e), None)
    if holder is None or len(holder) > 1:
        return "merge"
    value = holder[DIRECTIVE]
    if value not in DIRECTIVES:
        raise PatchFailure(f"{path}: unknown $patch directive {value!r} "
                           "(delete, replace or merge)")
    _set_element(patch, None, [DIRECTIVE], [value])
    return value


def _take_extra_directives(patch: dict) -> dict | None:
    """$setElementOrder, $deleteFromPrimitiveList and $retainKeys, taken out of the patch.

    kustomize copies them into the object, which the API server then rejects;
    they are applied here as the API server applies them (docs/overlay.md).
    """
    names = [k for k in patch if isinstance(k, str) and k.startswith("$") and k != DIRECTIVE
             and (k == RETAIN_KEYS or k.startswith((ORDER_PREFIX, DELETE_PREFIX)))]
    return {name: patch.pop(name) for name in names} if names else None


def _apply_extra_directives(result: dict, extra: dict, ref: str | None, path: str) -> None:
    for name, value in extra.items():
        if name.startswith(DELETE_PREFIX):
            field = name[len(DELETE_PREFIX):]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [v for v in result[field] if v not in value]
        elif name.startswith(ORDER_PREFIX):
            field = name[len(ORDER_PREFIX):]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = _reorder(result[field], value, _field(ref, field)[1] or [])
    if RETAIN_KEYS in extra:
        retain = extra[RETAIN_KEYS]
        if not isinstance(retain, list):
            raise PatchFailure(f"{path or '.'}: $retainKeys must be a list")
        for key in [k for k in result if k not in retain]:
            del result[key]


def _reorder(items: list, order: list, keys: list) -> list:
    def key_of(item):
        if isinstance(item, dict):
            return tuple(_text(item.get(k)) for k in keys)
        return _text(item)

    rank = {key_of(o): n for n, o in enumerate(order)}
    ranked = sorted((i for i in items if key_of(i) in rank), key=lambda i: rank[key_of(i)])
    return ranked + [i for i in items if key_of(i) not in rank]


def _element_values(dest, origin, keys: list) -> list:
    """Each element's merge key values, patch first, each distinct tuple once."""
    out, seen = [], set()
    for source in (origin, dest):
        if not isinstance(source, list):
            continue
        for element in source:
            values = tuple(_key_value(element.get(k, MISSING)) if isinstance(element, dict)
                           else "" for k in keys)
            if values not in seen:
                seen.add(values)
                out.append(list(values))
    return out


def _primitive_values(dest, origin) -> list:
    out, seen = [], set()
    for source in (origin, dest):
        if not isinstance(source, list):
            continue
        for element in source:
            text = _text(element)
            if text not in seen:
                seen.add(text)
                out.append([text])
    return out


def _refuse_repeats(patch: list, keys: list, path: str) -> None:
    """A patch naming one element twice contradicts itself (kustomize keeps one of them)."""
    seen = set()
    for n, element in enumerate(patch):
        if not isinstance(element, dict):
            raise PatchFailure(f"{path}[{n}]: an element of a list merged by "
                               f"{', '.join(keys)} must be a mapping")
        identity = tuple((k, _text(element[k])) for k in keys if element.get(k) is not None) \
            or tuple((k, "") for k in keys)
        if identity in seen:
            raise PatchFailure(f"{path}: two elements with "
                               f"{', '.join(f'{k}={v}' for k, v in identity)}")
        seen.add(identity)
