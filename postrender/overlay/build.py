"""Apply a kustomization to the parsed stream, in kustomize's order.

Order (as `kubectl kustomize` with the stream as its first resource):
resources, generators, patchesStrategicMerge, patches, namespace, labels,
annotations, patchesJson6902, images; then generated names get their hash
suffix and references to them are rewritten. A document is touched only when
its object really changes; untouched documents keep their original text.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import yaml

from postrender.diagnostics import Diagnostics
from postrender.document import Document
from postrender.errors import ConfigError, InputError
from postrender.overlay import (generators, images, metadata, namereference, patchyaml,
                                strategic)
from postrender.overlay.kustomization import Kustomization, Patch
from postrender.overlay.selector import ResourceIndex, Selection, effective_namespace

_INDEX = re.compile(r"-?[0-9]+\Z")


def _indexed(obj, operation: dict) -> dict:
    """The operation with list indices as kustomize's JSON patch reads them.

    kustomize (evanphx/json-patch with negative indices on) takes "-1" as the
    last element and "01" as 1; python-jsonpatch takes neither.
    """
    out = dict(operation)
    for key in ("path", "from"):
        pointer = operation.get(key)
        if not isinstance(pointer, str) or not pointer:
            continue
        tokens = pointer.split("/")[1:]
        node = obj
        for i, token in enumerate(tokens):
            if isinstance(node, list) and _INDEX.match(token):
                index = int(token)
                tokens[i] = str(index + len(node) if index < 0 else index)
                node = node[int(tokens[i])] if 0 <= int(tokens[i]) < len(node) else None
            elif isinstance(node, dict):
                node = node.get(token.replace("~1", "/").replace("~0", "~"))
            else:
                break
        out[key] = "/" + "/".join(tokens)
    return out


def _targeted(body: dict) -> dict:
    """A strategic merge patch with a target, as kustomize hands it to the merge.

    kustomize rewrites such a patch's metadata through its string maps first:
    labels and annotations that are null or empty vanish from the patch (so
    they delete nothing), and a null label or annotation value becomes "null".
    """
    meta = body.get("metadata")
    if not isinstance(meta, dict):
        return body
    meta = dict(meta)
    for key in ("labels", "annotations"):
        if key not in meta:
            continue
        if not isinstance(meta[key], dict) or not meta[key]:
            del meta[key]
            continue
        meta[key] = {k: _go_text(v) for k, v in meta[key].items()}
    return {**body, "metadata": meta}


def _go_text(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


JSON_OPS = {"add": ("value",), "remove": (), "replace": ("value",), "move": ("from",),
            "copy": ("from",), "test": ("value",)}


@dataclass
class Slot:
    """One resource being built: its document and whether it awaits a hash suffix."""

    document: Document
    needs_hash: bool = False
    changed: bool = False
    pruned: bool = False     # kustomize's merge walk has dropped its bare `key:` fields

    def empty_nulls(self) -> frozenset:
        if self.pruned or self.document.text is None:
            return frozenset()
        self.pruned = True
        if not strategic.has_null(self.document.obj):
            return frozenset()  # the common case: no need to read the text again
        return strategic.empty_null_paths(self.document.text)


class Build:
    def __init__(self, kustomization: Kustomization, documents: list[Document],
                 diagnostics: Diagnostics):
        self.k = kustomization
        self.diagnostics = diagnostics
        self.slots = [Slot(doc) for doc in documents]
        self.index = ResourceIndex([doc.obj for doc in documents])
        self._ids: dict[tuple, int] = {}
        for position, doc in enumerate(documents):
            self._register(position, doc.error_location(), InputError)

    # -- bookkeeping ------------------------------------------------------------
    def error(self, reason: str, where: str, **extra) -> ConfigError:
        return ConfigError(reason, file=self.k.file, field=where, **extra)

    def _id(self, obj: dict) -> tuple:
        meta = obj.get("metadata") or {}
        return (obj.get("apiVersion"), obj.get("kind"), meta.get("name"),
                effective_namespace(obj.get("kind", ""), meta.get("namespace")))

    def _register(self, position: int, location: dict, error=ConfigError) -> None:
        key = self._id(self.index.objects[position])
        if key in self._ids:
            first = self.slots[self._ids[key]].document.address()
            raise error(f"{key[1]}/{key[2]} is defined twice (first as {first}); kustomize "
                        "refuses duplicate ids", **location)
        self._ids[key] = position

    def _add(self, obj: dict, where: str, *, needs_hash: bool = False) -> None:
        position = self.index.append(obj)
        self.slots.append(Slot(Document(obj), needs_hash=needs_hash, changed=True))
        self._register(position, {"file": self.k.file, "field": where})

    def _replace(self, position: int, obj: dict | None) -> None:
        slot = self.slots[position]
        if obj is not None and obj == slot.document.obj:
            return
        slot.document.touch()
        slot.changed = True
        if obj is not None:
            slot.document.obj = obj
        self.index.update(position, obj)

    def _edit(self, position: int) -> dict:
        """The live object, touched, for in-place edits."""
        slot = self.slots[position]
        slot.changed = True
        return slot.document.touch()

    def live(self):
        for position, obj in enumerate(self.index.objects):
            if obj is not None:
                yield position, obj

    # -- the steps --------------------------------------------------------------
    def run(self) -> list[Document]:
        for resource in self.k.resources:
            objects = resource.objects
            if resource.kustomization is not None:
                objects = [doc.obj for doc in
                           Build(resource.kustomization, [], self.diagnostics).run()]
            for obj in objects:
                self._add(copy.deepcopy(obj), resource.where)
        for generator in self.k.generators:
            self._generate(generator)
        for patch in self.k.strategic_patches:
            self._strategic(patch)
        for patch in self.k.patches:
            self._patch(patch)
        if self.k.namespace:
            self._namespace(self.k.namespace)
        for label_set in filter(lambda labels: labels.pairs, self.k.labels):
            for position, _ in list(self.live()):
                metadata.add_labels(self._edit(position), label_set.pairs,
                                    selectors=label_set.selectors, templates=label_set.templates)
                self.index.update(position, self.index.objects[position])
        if self.k.annotations:
            for position, _ in list(self.live()):
                metadata.add_annotations(self._edit(position), self.k.annotations)
        for patch in self.k.json_patches:
            self._json6902(patch, patch.text, patch.target)
        if self.k.images:
            rules = [images.ImageRule(entry) for entry in self.k.images]
            memo: dict[str, str] = {}
            for position, obj in list(self.live()):
                found = images.changes(obj, rules, memo)
                if found:
                    self._edit(position)
                    for container, image in found:
                        container["image"] = image
        self._hash_names()
        self._drop_empty_annotations()
        return [slot.document for slot, obj in zip(self.slots, self.index.objects)
                if obj is not None]

    def _drop_empty_annotations(self) -> None:
        # kustomize removes its bookkeeping annotations from every object and
        # with them an annotations map left empty (or written empty).
        for position, obj in list(self.live()):
            meta = obj.get("metadata")
            if isinstance(meta, dict) and "annotations" in meta and not meta["annotations"]:
                del self._edit(position)["metadata"]["annotations"]

    def _namespace(self, namespace: str) -> None:
        for position, obj in list(self.live()):
            if metadata.namespace_applies(obj, namespace):
                metadata.set_namespace(self._edit(position), namespace)

    # -- generators -------------------------------------------------------------
    def _generate(self, generator) -> None:
        obj = generators.build(generator, self.k.file)
        if generator.behavior == "create":
            self._add(obj, generator.where, needs_hash=not generator.options.disable_hash)
            return
        position = self.index.find("v1", generator.kind, generator.name, generator.namespace)
        if position is None:
            raise self.error(f"behavior {generator.behavior}: there is no {generator.kind} "
                             f"{generator.name!r} to {generator.behavior}", generator.where)
        old = self.index.objects[position]
        old_meta = old.get("metadata") or {}
        meta = obj["metadata"]
        merged_labels = {**(old_meta.get("labels") or {}), **(meta.get("labels") or {})}
        merged_notes = {**(old_meta.get("annotations") or {}), **(meta.get("annotations") or {})}
        meta.pop("labels", None)
        meta.pop("annotations", None)
        if merged_labels:
            meta["labels"] = merged_labels
        if merged_notes:
            meta["annotations"] = merged_notes
        meta["name"] = old_meta.get("name")
        meta.pop("namespace", None)
        if old_meta.get("namespace") is not None:
            meta["namespace"] = old_meta["namespace"]
        if generator.behavior == "merge":
            for key in ("data", "binaryData"):
                combined = {**(old.get(key) or {}), **(obj.get(key) or {})}
                if combined:
                    obj[key] = combined
        # The merged object keeps the existing one's naming: no suffix for a Helm object.
        self._replace(position, obj)

    def _hash_names(self) -> None:
        for position, obj in list(self.live()):
            if self.slots[position].needs_hash:
                meta = self._edit(position)["metadata"]
                meta["name"] = f"{meta['name']}-{generators.name_hash(obj)}"
        # Hash suffixes and allowNameChange patches both rename; references follow.
        renames: dict[tuple[str, str, str], str] = {}
        for position, obj in self.live():
            kind = obj.get("kind", "")
            if kind not in namereference.REFERENCED:
                continue
            meta = obj.get("metadata") or {}
            original_name, original_namespace = self.index.original[position]
            if meta.get("name") != original_name:
                renames[(kind, effective_namespace(kind, meta.get("namespace")), original_name)] \
                    = meta.get("name")
        moved = self._moved_service_accounts()
        if not renames and not moved:
            return
        for position, obj in list(self.live()):
            changes = namereference.planned(obj, renames) + namereference.subjects(obj, moved)
            if changes:
                self._edit(position)
                for mapping, key, new in changes:
                    mapping[key] = new

    def _moved_service_accounts(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(original name, namespace) -> (name, namespace) of renamed or moved ServiceAccounts."""
        moved = {}
        for position, obj in self.live():
            if obj.get("kind") != "ServiceAccount":
                continue
            meta = obj.get("metadata") or {}
            name, namespace = self.index.original[position]
            before = (name, namespace or "default")
            after = (meta.get("name"), meta.get("namespace") or "default")
            if before != after:
                moved[before] = after
        return moved

    # -- patches ----------------------------------------------------------------
    def _parse_patch(self, patch: Patch):
        """('json', ops) or ('strategic', [patch objects]), detected as kustomize does.

        Each kind is read with the YAML dialect kustomize reads it with.
        """
        try:
            documents = patchyaml.load_all(patch.text, patchyaml.StrategicLoader)
            if len(documents) == 1 and isinstance(documents[0], list):
                return "json", patchyaml.load_all(patch.text, patchyaml.JsonPatchLoader)[0]
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            at = f" (line {mark.line + 1} of the patch)" if mark else ""
            reason = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise self.error(f"the patch is not valid YAML or JSON: {reason}{at}",
                             patch.where) from None
        if not documents or not all(isinstance(d, dict) for d in documents):
            raise self.error("the patch is neither a strategic merge patch (a mapping) nor "
                             "a JSON 6902 patch (a list of operations)", patch.where)
        for n, document in enumerate(documents):
            meta = document.get("metadata")
            if not document.get("kind") or not isinstance(meta, dict) or not meta.get("name"):
                # kustomize cannot parse such a patch either, target or not.
                raise self.error("a strategic merge patch needs kind and metadata.name",
                                 self._where(patch, n, len(documents)))
        return "strategic", documents

    def _patch(self, patch: Patch) -> None:
        kind, body = self._parse_patch(patch)
        if kind == "json":
            if patch.target is None:
                raise self.error("a JSON 6902 patch needs a target", patch.where)
            self._json6902(patch, body, patch.target)
            return
        if patch.target is None:
            for n, body_doc in enumerate(body):
                self._strategic_by_id(patch, body_doc, n, len(body))
            return
        body = [_targeted(body_doc) for body_doc in body]
        selected = self._select(patch)
        for position in selected:
            for n, body_doc in enumerate(body):
                if self.index.objects[position] is not None:
                    self._merge(position, body_doc, patch, n, len(body))

    def _strategic(self, patch: Patch) -> None:
        kind, body = self._parse_patch(patch)
        if kind == "json":
            raise self.error("a JSON 6902 patch cannot be listed under patchesStrategicMerge",
                             patch.where)
        for n, body_doc in enumerate(body):
            self._strategic_by_id(patch, body_doc, n, len(body))

    def _where(self, patch: Patch, n: int, count: int) -> str:
        return patch.where + (f" (document {n + 1})" if count > 1 else "")

    def _strategic_by_id(self, patch: Patch, body: dict, n: int, count: int) -> None:
        where = self._where(patch, n, count)
        meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        if not body.get("apiVersion") or not body.get("kind") or not meta.get("name"):
            raise self.error("a strategic merge patch without a target needs apiVersion, kind "
                             "and metadata.name to find its resource", where)
        position = self.index.find(body["apiVersion"], body["kind"], meta["name"],
                                   meta.get("namespace"))
        if position is None:
            ns = meta.get("namespace")
            raise self.error(f"no resource matches {body['apiVersion']} {body['kind']} "
                             f"{(ns + '/') if ns else ''}{meta['name']}", where)
        self._merge(position, body, patch, n, count)

    def _merge(self, position: int, body: dict, patch: Patch, n: int, count: int) -> None:
        obj = self.index.objects[position]
        meta = obj.get("metadata") or {}
        name, namespace = meta.get("name"), meta.get("namespace")
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        try:
            result = strategic.apply(obj, body, self.slots[position].empty_nulls())
        except strategic.PatchFailure as err:
            raise self.error(f"cannot apply to {self._address(position)}: {err}",
                             self._where(patch, n, count)) from None
        if result is not None:
            result_meta = result.setdefault("metadata", {})
            if not patch.allow_kind_change:
                result["kind"], result["apiVersion"] = kind, api_version
            if not patch.allow_name_change:
                result_meta["name"] = name
            if namespace is None:
                result_meta.pop("namespace", None)
            else:
                result_meta["namespace"] = namespace
        self._replace(position, result)

    def _select(self, patch: Patch) -> list[int]:
        try:
            selection = Selection(patch.target, f"{patch.where}.target")
        except ConfigError as err:
            raise self.error(err.reason, err.field) from None
        selected = selection.select(self.index)
        if not selected:
            # kustomize applies such a patch to nothing and says nothing; a
            # region overlay that patches nothing is almost always a mistake.
            self.diagnostics.warn(f"{self.k.file}: {patch.where}: target matches no resource",
                                  strict=True)
        return selected

    def _json6902(self, patch: Patch, body, target) -> None:
        if isinstance(body, str):
            kind, body = self._parse_patch(patch)
            if kind != "json":
                raise self.error("patchesJson6902 needs a list of JSON 6902 operations",
                                 patch.where)
        import jsonpatch  # only JSON 6902 patches need it: start-up time counts

        self._check_operations(patch, body)
        selected = self._select(patch)
        for position in selected:
            result = self.index.objects[position]
            for n, operation in enumerate(body):
                try:
                    result = jsonpatch.apply_patch(result, [_indexed(result, operation)],
                                                   in_place=False)
                except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
                    reason = str(err).split(" in {", 1)[0].split(" in [", 1)[0]
                    raise self.error(
                        f"cannot apply to {self._address(position)}: operation {n} "
                        f"({operation['op']} {operation['path']}): {reason}", patch.where) from None
            if not isinstance(result, dict):
                raise self.error(f"the patch turns {self._address(position)} "
                                 "into something other than an object", patch.where)
            self._replace(position, result)

    def _address(self, position: int) -> str:
        doc = self.slots[position].document
        return doc.address() + (f" ({doc.file})" if doc.file else "")

    def _check_operations(self, patch: Patch, operations: list) -> None:
        for n, op in enumerate(operations):
            where = f"operation {n}"
            if not isinstance(op, dict):
                raise self.error(f"{where}: must be a mapping with 'op' and 'path'", patch.where)
            name = op.get("op")
            if name not in JSON_OPS:
                raise self.error(f"{where}: invalid op {name!r} (one of "
                                 f"{', '.join(JSON_OPS)})", patch.where)
            for key in ("path", *JSON_OPS[name]):
                if key not in op:
                    raise self.error(f"{where}: op {name!r} needs {key!r}", patch.where)
            for key in ("path", "from"):
                if key in op and (not isinstance(op[key], str)
                                  or (op[key] and not op[key].startswith("/"))):
                    raise self.error(f"{where}: invalid {key} {op[key]!r} (a JSON pointer "
                                     "starts with '/')", patch.where)
