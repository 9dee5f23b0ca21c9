"""Build a kustomization tree on the parsed stream, in kustomize's order.

Each kustomization collects its resources (files, the kustomizations it
includes, built first, and the Helm stream where it is listed), runs its
generators, then its components, then its transformers: patchesStrategicMerge,
patches, namespace, labels, annotations, patchesJson6902, images. At the top
only, generated names get their hash suffix, references follow every renamed
object, and sortOptions orders the output. A document is touched only when
its object really changes; untouched documents keep their original text.
"""
from __future__ import annotations

import copy

import yaml

from postrender.diagnostics import Diagnostics
from postrender.document import Document
from postrender.errors import ConfigError, InputError
from postrender.overlay import (generators, images, json6902, metadata, namereference,
                                patchyaml, sharedvalues, sortorder, strategic)
from postrender.overlay.kustomization import Kustomization, Patch
from postrender.overlay.resources import Resources, new_slot
from postrender.overlay.selector import Selection, effective_namespace

JSON_OPS = {"add": ("value",), "remove": (), "replace": ("value",), "move": ("from",),
            "copy": ("from",), "test": ("value",)}


class Build:
    def __init__(self, kustomization: Kustomization, documents: list[Document],
                 diagnostics: Diagnostics):
        self.top = kustomization
        self.stream = documents
        self.diagnostics = diagnostics

    def run(self) -> list[Document]:
        for k in self.top.tree():
            if k is not self.top and k.sort_options is not None:
                self.diagnostics.warn(f"{k.file}: sortOptions: has no effect: kustomize "
                                      "reads sortOptions only from the top kustomization")
        # With the stream listed nowhere, it is the top kustomization's first resource.
        implicit = not self.top.stream_entries()
        resources = self._accumulate(self.top, Resources(), implicit_stream=implicit)
        _hash_names(resources)
        _drop_empty_annotations(resources)
        return sortorder.sort(resources.documents(), self.top.sort_options)

    def _accumulate(self, k: Kustomization, resources: Resources, *,
                    implicit_stream: bool = False) -> Resources:
        """kustomize's accumulateTarget: a component works on its includer's resources."""
        if implicit_stream:
            self._add_stream(resources)
        for resource in k.resources:
            location = {"file": k.file, "field": resource.where}
            if resource.stream:
                self._add_stream(resources)
            elif resource.kustomization is not None:
                resources.absorb(self._accumulate(resource.kustomization, Resources()), location)
            else:
                for obj in resource.objects:
                    resources.add(new_slot(Document(copy.deepcopy(obj))), location)
        level = Level(k, resources, self.diagnostics)
        level.generate()
        for component in k.components:
            self._accumulate(component, resources)
        level.transform()
        return resources

    def _add_stream(self, resources: Resources) -> None:
        for doc in self.stream:
            resources.add(new_slot(doc), doc.error_location(), InputError)


def _hash_names(resources: Resources) -> None:
    for position, obj in list(resources.live()):
        if resources.slots[position].needs_hash:
            meta = resources.edit(position)["metadata"]
            meta["name"] = f"{meta['name']}-{generators.name_hash(obj)}"
    # Hash suffixes and renaming patches (in any kustomization) rename; references follow.
    renames: dict[tuple[str, str, str], str] = {}
    for position, obj in resources.live():
        kind = obj.get("kind", "")
        if kind not in namereference.REFERENCED:
            continue
        meta = obj.get("metadata") or {}
        original_name, _ = resources.index.original[position]
        if meta.get("name") != original_name:
            renames[(kind, effective_namespace(kind, meta.get("namespace")), original_name)] \
                = meta.get("name")
    moved = _moved_service_accounts(resources)
    if not renames and not moved:
        return
    for position, obj in list(resources.live()):
        changes = namereference.planned(obj, renames) + namereference.subjects(obj, moved)
        if changes:
            resources.edit(position)
            for mapping, key, new in changes:
                mapping[key] = new


def _moved_service_accounts(resources: Resources) -> dict[tuple[str, str], tuple[str, str]]:
    """(original name, namespace) -> (name, namespace) of renamed or moved ServiceAccounts."""
    moved = {}
    for position, obj in resources.live():
        if obj.get("kind") != "ServiceAccount":
            continue
        meta = obj.get("metadata") or {}
        name, namespace = resources.index.original[position]
        before = (name, namespace or "default")
        after = (meta.get("name"), meta.get("namespace") or "default")
        if before != after:
            moved[before] = after
    return moved


def _drop_empty_annotations(resources: Resources) -> None:
    # kustomize removes its bookkeeping annotations from every object and
    # with them an annotations map left empty (or written empty).
    for position, obj in list(resources.live()):
        meta = obj.get("metadata")
        if isinstance(meta, dict) and "annotations" in meta and not meta["annotations"]:
            del resources.edit(position)["metadata"]["annotations"]


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


class Level:
    """One kustomization's generators and transformers, on the resources it collected."""

    def __init__(self, k: Kustomization, resources: Resources, diagnostics: Diagnostics):
        self.k = k
        self.resources = resources
        self.index = resources.index
        self.diagnostics = diagnostics

    def error(self, reason: str, where: str, **extra) -> ConfigError:
        return ConfigError(reason, file=self.k.file, field=where, **extra)

    def generate(self) -> None:
        for generator in self.k.generators:
            self._generate(generator)

    def transform(self) -> None:
        k, resources = self.k, self.resources
        for patch in k.strategic_patches:
            self._strategic(patch)
        for patch in k.patches:
            self._patch(patch)
        if k.namespace:
            for position, obj in list(resources.live()):
                if metadata.namespace_applies(obj, k.namespace):
                    metadata.set_namespace(resources.edit(position), k.namespace)
        for label_set in filter(lambda labels: labels.pairs, k.labels):
            for position, _ in list(resources.live()):
                obj = resources.edit(position)
                targets = metadata.label_maps(obj, selectors=label_set.selectors,
                                              templates=label_set.templates)
                sharedvalues.set_entries(obj, targets, label_set.pairs,
                                         resources.slots[position].shared)
                self.index.update(position, self.index.objects[position])
        if k.annotations:
            for position, _ in list(resources.live()):
                obj = resources.edit(position)
                sharedvalues.set_entries(obj, metadata.annotation_maps(obj), k.annotations,
                                         resources.slots[position].shared)
        for patch in k.json_patches:
            self._json6902(patch, patch.text, patch.target)
        if k.images:
            rules = [images.ImageRule(entry) for entry in k.images]
            memo: dict[str, str] = {}
            for position, obj in list(resources.live()):
                found = images.changes(obj, rules, memo)
                if found:
                    resources.edit(position)
                    for container, image in found:
                        container["image"] = image

    # -- generators -------------------------------------------------------------
    def _generate(self, generator) -> None:
        obj = generators.build(generator, self.k.file)
        wants_hash = not generator.options.disable_hash
        if generator.behavior == "create":
            slot = new_slot(Document(obj), needs_hash=wants_hash)
            self.resources.add(slot, {"file": self.k.file, "field": generator.where})
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
        # A hash suffix only if both the object (generated in a base) and this
        # generator want one: a Helm object keeps its name.
        slot = self.resources.slots[position]
        slot.needs_hash = slot.needs_hash and wants_hash
        slot.shared.clear()      # a new object: nothing of the old one is shared
        self.resources.replace(position, obj)

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
        if len(body) > 1:
            raise self.error(f"holds {len(body)} strategic merge patches: with a target, "
                             "kustomize takes only one per entry", patch.where)
        body_doc = _targeted(body[0])
        for position in self._select(patch):
            if self.index.objects[position] is not None:
                self._merge(position, body_doc, patch, 0, 1)

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
        where = self._where(patch, n, count)
        lost: list = []
        try:
            result = strategic.apply(obj, body, self.resources.slots[position].empty_nulls(),
                                     lost)
        except strategic.PatchFailure as err:
            raise self.error(f"cannot apply to {self.resources.address(position)}: {err}",
                             where) from None
        for path, element, keys in lost:
            self.diagnostics.warn(
                f"{self.k.file}: {where}: {self.resources.address(position)}: {path}: "
                f"kustomize's merge drops the patch's element {element} (a list merged by "
                f"{', '.join(keys)}), and so does this overlay, to give kustomize's result; "
                "give the element every merge key its counterpart in the object has",
                strict=True)
        shared = self.resources.slots[position].shared
        if result is not None and shared:
            sharedvalues.after_merge(obj, result, shared)
        if result is not None:
            result_meta = result.setdefault("metadata", {})
            # kustomize hands a targeted patch the target's apiVersion, and keeps its kind.
            result["apiVersion"] = api_version
            if not patch.allow_kind_change:
                result["kind"] = kind
            if not patch.allow_name_change:
                result_meta["name"] = name
            if namespace is None:
                result_meta.pop("namespace", None)
            else:
                result_meta["namespace"] = namespace
        self.resources.replace(position, result)

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
        self._check_operations(patch, body)
        for position in self._select(patch):
            try:
                result = json6902.apply(self.index.objects[position], body)
            except json6902.JsonPatchFailure as err:
                operation = body[err.operation]
                raise self.error(f"cannot apply to {self.resources.address(position)}: "
                                 f"operation {err.operation} ({operation['op']} "
                                 f"{operation['path']}): {err}", patch.where) from None
            if not isinstance(result, dict):
                raise self.error(f"the patch turns {self.resources.address(position)} "
                                 "into something other than an object", patch.where)
            # kustomize round-trips the object through JSON: a bare `key:` is a null
            # now, and no value is shared between maps any more.
            self.resources.slots[position].pruned = True
            self.resources.slots[position].shared.clear()
            self.resources.replace(position, result)

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

