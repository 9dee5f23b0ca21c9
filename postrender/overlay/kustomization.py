"""Read a region's kustomization.yaml (and every base and component it includes).

Every field kustomize would read is either understood here or refused with
its name; nothing is ignored. Every file it names (patches, resources,
generator sources) is read through `OverlayDir`, so nothing outside the
overlay or project root and nothing remote is ever opened. The resource
named like the Helm stream (`all.yaml` unless told otherwise) is never read:
the stream takes its place wherever it is listed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from postrender import yamlio
from postrender.errors import ConfigError
from postrender.overlay import patchyaml
from postrender.overlaydir import OverlayDir

API_VERSION = "kustomize.config.k8s.io/v1beta1"
COMPONENT_API_VERSION = "kustomize.config.k8s.io/v1alpha1"
FILENAME = "kustomization.yaml"
STREAM_NAME = "all.yaml"   # what a script that runs kustomize usually writes Helm's output to

SUPPORTED = ("apiVersion", "kind", "metadata", "resources", "bases", "components",
             "patches", "patchesStrategicMerge", "patchesJson6902", "images", "labels",
             "commonLabels", "commonAnnotations", "namespace", "configMapGenerator",
             "secretGenerator", "generatorOptions", "sortOptions")
# Rejected with a reason of their own rather than "unsupported".
RENAMING = ("namePrefix", "nameSuffix")

TARGET_FIELDS = ("group", "version", "kind", "name", "namespace",
                 "labelSelector", "annotationSelector")
GENERATOR_FIELDS = ("name", "namespace", "behavior", "literals", "files", "envs", "env",
                    "options")
OPTION_FIELDS = ("labels", "annotations", "disableNameSuffixHash", "immutable")
SORT_ORDERS = ("legacy", "fifo")


@dataclass
class Target:
    group: str | None = None
    version: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    label_selector: str | None = None
    annotation_selector: str | None = None


@dataclass
class Patch:
    where: str                    # "patches[2]", for error messages
    text: str                     # the patch as written (YAML or JSON)
    target: Target | None
    allow_name_change: bool = False
    allow_kind_change: bool = False
    source: str | None = None     # the file it came from, when given by path


@dataclass
class Image:
    where: str
    name: str
    new_name: str | None
    new_tag: str | None
    digest: str | None


@dataclass
class LabelSet:
    where: str
    pairs: dict[str, str]
    selectors: bool
    templates: bool


@dataclass
class GeneratorOptions:
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    disable_hash: bool = False
    immutable: bool = False


@dataclass
class Generator:
    where: str
    kind: str                     # ConfigMap or Secret
    name: str
    namespace: str | None
    behavior: str
    data: list[tuple[str, bytes]]  # (key, value) in kustomize's order
    options: GeneratorOptions
    secret_type: str = "Opaque"


@dataclass
class SortOptions:
    order: str                    # legacy or fifo
    order_first: list[str] | None = None   # legacySortOptions; None: kustomize's own lists
    order_last: list[str] | None = None


@dataclass
class Resource:
    where: str
    objects: list[dict]
    source: str
    kustomization: "Kustomization | None" = None   # a directory: built on its own first
    stream: bool = False          # stands for the Helm stream


@dataclass
class Kustomization:
    file: str                     # as displayed in messages
    directory: Path
    kind: str = "Kustomization"   # or Component
    resources: list[Resource] = field(default_factory=list)
    components: list["Kustomization"] = field(default_factory=list)
    strategic_patches: list[Patch] = field(default_factory=list)   # patchesStrategicMerge
    patches: list[Patch] = field(default_factory=list)
    json_patches: list[Patch] = field(default_factory=list)        # patchesJson6902
    images: list[Image] = field(default_factory=list)
    labels: list[LabelSet] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    namespace: str | None = None
    generators: list[Generator] = field(default_factory=list)
    sort_options: SortOptions | None = None

    def tree(self):
        """This kustomization and every base and component it includes, depth first."""
        yield self
        for resource in self.resources:
            if resource.kustomization is not None:
                yield from resource.kustomization.tree()
        for component in self.components:
            yield from component.tree()

    def stream_entries(self) -> list[str]:
        """'file: resources[i]' for every entry in the tree that stands for the stream."""
        return [f"{k.file}: {r.where}" for k in self.tree() for r in k.resources if r.stream]


class Reader:
    """Reads one kustomization file; `overlay` guards every file access.

    `stream_name` is the file name that stands for the Helm stream in any
    `resources` (or `bases`) list; `kind` is the kind the includer expects.
    """

    def __init__(self, overlay: OverlayDir, directory: Path, parents: tuple = (), *,
                 stream_name: str = STREAM_NAME, kind: str | None = None):
        self.overlay = overlay
        self.directory = directory
        self.parents = (*parents, directory.resolve())
        self.path = directory / FILENAME
        self.file = overlay.display(self.path)
        self.stream_name = stream_name
        self.expected_kind = kind

    def error(self, reason: str, where: str | None = None) -> ConfigError:
        return ConfigError(reason, file=self.file, field=where)

    def read(self) -> Kustomization:
        text = self.overlay.read_text(FILENAME, base=self.directory, referrer=self.file)
        spec = yamlio.load_file(text, file=self.file)
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise self.error("must be a mapping of kustomize fields")
        kind = self._check_header(spec)
        for key in spec:
            if key in RENAMING:
                raise self.error(
                    "not supported: renaming objects of a Helm release would break the "
                    "references Helm and the charts keep to them (Services, Secrets, "
                    "owner labels); set the names through the chart values instead", key)
            if key not in SUPPORTED:
                raise self.error(f"unsupported kustomize field (supported: "
                                 f"{', '.join(SUPPORTED[3:])})", key)
        k = Kustomization(file=self.file, directory=self.directory, kind=kind)
        k.namespace = self._string(spec, "namespace", "namespace")
        # kustomize reads the deprecated `bases` as more resources, after `resources`.
        k.resources = [self._resource(f"{key}[{i}]", ref)
                       for key in ("resources", "bases")
                       for i, ref in enumerate(self._list(spec, key))]
        k.components = [self._component(f"components[{i}]", ref)
                        for i, ref in enumerate(self._list(spec, "components"))]
        k.sort_options = self._sort_options(spec.get("sortOptions"), "sortOptions")
        k.strategic_patches = [self._strategic(f"patchesStrategicMerge[{i}]", entry)
                               for i, entry in enumerate(self._list(spec, "patchesStrategicMerge"))]
        k.patches = [self._patch(f"patches[{i}]", entry)
                     for i, entry in enumerate(self._list(spec, "patches"))]
        k.json_patches = [self._json6902(f"patchesJson6902[{i}]", entry)
                          for i, entry in enumerate(self._list(spec, "patchesJson6902"))]
        k.images = [self._image(f"images[{i}]", entry)
                    for i, entry in enumerate(self._list(spec, "images"))]
        k.labels = [self._labels(f"labels[{i}]", entry)
                    for i, entry in enumerate(self._list(spec, "labels"))]
        common = self._strings(spec.get("commonLabels"), "commonLabels")
        if common:
            # kustomize runs commonLabels after the labels entries, reaching selectors too.
            k.labels.append(LabelSet("commonLabels", common, True, True))
        k.annotations = self._strings(spec.get("commonAnnotations"), "commonAnnotations")
        options = self._options(spec.get("generatorOptions"), "generatorOptions")
        for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
            for i, entry in enumerate(self._list(spec, key)):
                k.generators.append(self._generator(f"{key}[{i}]", kind, entry, options))
        return k

    # -- the header -----------------------------------------------------------
    def _check_header(self, spec: dict) -> str:
        kind = spec.get("kind")
        if kind is None:
            kind = "Kustomization"
        if kind not in ("Kustomization", "Component"):
            raise self.error(f"kind {kind!r} is neither Kustomization nor Component", "kind")
        expected = API_VERSION if kind == "Kustomization" else COMPONENT_API_VERSION
        api_version = spec.get("apiVersion")
        if api_version is not None and api_version != expected:
            raise self.error(f"apiVersion {api_version!r} is not {expected} (the apiVersion "
                             f"of a {kind})", "apiVersion")
        metadata = spec.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise self.error("must be a mapping", "metadata")
        if self.expected_kind == "Component" and kind != "Component":
            raise self.error("listed under components, so it must be a kind: Component "
                             f"(apiVersion: {COMPONENT_API_VERSION})", "kind")
        if self.expected_kind == "Kustomization" and kind == "Component":
            raise self.error("a Component is included through components, not resources or "
                             "bases", "kind")
        return kind

    # -- small typed readers ----------------------------------------------------
    def _list(self, spec: dict, key: str) -> list:
        value = spec.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error("must be a list", key)
        return value

    def _string(self, spec: dict, key: str, where: str, *, required: bool = False) -> str | None:
        value = spec.get(key)
        if value is None:
            if required:
                raise self.error("missing", where)
            return None
        if not isinstance(value, str):
            raise self.error(f"must be a string, not {_type(value)} (quote it)", where)
        return value

    def _bool(self, spec: dict, key: str, where: str) -> bool:
        value = spec.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.error(f"must be true or false, not {value!r}", where)
        return value

    def _strings(self, value: Any, where: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error("must be a mapping of strings", where)
        for key, item in value.items():
            if not isinstance(key, str) or not isinstance(item, str):
                raise self.error(f"{key!r}: must be a string, not {_type(item)} (quote it)", where)
        return dict(value)

    def _mapping(self, entry: Any, where: str, allowed: tuple[str, ...]) -> dict:
        if not isinstance(entry, dict):
            raise self.error(f"must be a mapping, not {_type(entry)}", where)
        for key in entry:
            if key not in allowed:
                raise self.error(f"unsupported field (supported: {', '.join(allowed)})",
                                 f"{where}.{key}")
        return entry

    def _resolve(self, reference: str, where: str, *, file: bool = True) -> Path:
        """A path named in the kustomization; a file must lie inside its directory.

        That is kustomize's default load restriction (LoadRestrictionsRootOnly);
        a directory (another kustomization) may lie anywhere in the project.
        """
        try:
            path = self.overlay.resolve(reference, base=self.directory, referrer=self.file)
        except ConfigError as err:
            raise self.error(err.reason, where) from None
        real, root = path.resolve(), self.directory.resolve()
        if file and not path.is_dir() and root != real and root not in real.parents:
            raise self.error(f"{reference!r} is outside {self.overlay.display(self.directory)}: "
                             "kustomize reads files only inside the kustomization's directory",
                             where)
        return path

    def _read(self, reference: Any, where: str) -> tuple[str, str]:
        if not isinstance(reference, str) or not reference:
            raise self.error("must be a relative file path", where)
        self._resolve(reference, where)
        try:
            text = self.overlay.read_text(reference, base=self.directory, referrer=self.file)
        except ConfigError as err:
            raise self.error(err.reason, where) from None
        return text, self.overlay.display(self.directory / reference)

    # -- entries ---------------------------------------------------------------
    def _target(self, value: Any, where: str) -> Target:
        spec = self._mapping(value, where, TARGET_FIELDS)
        values = {key: self._string(spec, key, f"{where}.{key}") for key in TARGET_FIELDS}
        return Target(values["group"], values["version"], values["kind"], values["name"],
                      values["namespace"], values["labelSelector"], values["annotationSelector"])

    def _patch_text(self, spec: dict, where: str) -> tuple[str, str | None]:
        if ("path" in spec) == ("patch" in spec):
            raise self.error("needs exactly one of 'path' and 'patch'", where)
        if "path" in spec:
            return self._read(spec["path"], f"{where}.path")
        text = spec["patch"]
        if not isinstance(text, str):
            raise self.error("must be a string holding the patch (use 'patch: |')",
                             f"{where}.patch")
        return text, None

    def _patch(self, where: str, entry: Any) -> Patch:
        spec = self._mapping(entry, where, ("path", "patch", "target", "options"))
        text, source = self._patch_text(spec, where)
        target = (self._target(spec["target"], f"{where}.target")
                  if spec.get("target") is not None else None)
        options = self._mapping({} if spec.get("options") is None else spec["options"],
                                f"{where}.options",
                                ("allowNameChange", "allowKindChange"))
        return Patch(where, text, target,
                     self._bool(options, "allowNameChange", f"{where}.options.allowNameChange"),
                     self._bool(options, "allowKindChange", f"{where}.options.allowKindChange"),
                     source)

    def _strategic(self, where: str, entry: Any) -> Patch:
        if not isinstance(entry, str):
            raise self.error("must be a file path or an inline patch (a string)", where)
        if "\n" in entry or entry.lstrip().startswith(("{", "apiVersion:", "kind:")):
            return Patch(where, entry, None)
        text, source = self._read(entry, where)
        return Patch(where, text, None, source=source)

    def _json6902(self, where: str, entry: Any) -> Patch:
        spec = self._mapping(entry, where, ("path", "patch", "target"))
        if not spec.get("target"):
            raise self.error("needs a target", f"{where}.target")
        text, source = self._patch_text(spec, where)
        target = self._target(spec["target"], f"{where}.target")
        return Patch(where, text, target, source=source)

    def _image(self, where: str, entry: Any) -> Image:
        spec = self._mapping(entry, where, ("name", "newName", "newTag", "digest"))
        name = self._string(spec, "name", f"{where}.name", required=True)
        return Image(where, name, self._string(spec, "newName", f"{where}.newName"),
                     self._string(spec, "newTag", f"{where}.newTag"),
                     self._string(spec, "digest", f"{where}.digest"))

    def _labels(self, where: str, entry: Any) -> LabelSet:
        spec = self._mapping(entry, where, ("pairs", "includeSelectors", "includeTemplates"))
        selectors = self._bool(spec, "includeSelectors", f"{where}.includeSelectors")
        templates = self._bool(spec, "includeTemplates", f"{where}.includeTemplates")
        return LabelSet(where, self._strings(spec.get("pairs"), f"{where}.pairs"),
                        selectors, templates or selectors)

    def _options(self, value: Any, where: str) -> GeneratorOptions:
        spec = self._mapping({} if value is None else value, where, OPTION_FIELDS)
        return GeneratorOptions(self._strings(spec.get("labels"), f"{where}.labels"),
                                self._strings(spec.get("annotations"), f"{where}.annotations"),
                                self._bool(spec, "disableNameSuffixHash",
                                           f"{where}.disableNameSuffixHash"),
                                self._bool(spec, "immutable", f"{where}.immutable"))

    def _generator(self, where: str, kind: str, entry: Any,
                   overall: GeneratorOptions) -> Generator:
        allowed = GENERATOR_FIELDS + (("type",) if kind == "Secret" else ())
        spec = self._mapping(entry, where, allowed)
        name = self._string(spec, "name", f"{where}.name", required=True)
        behavior = self._string(spec, "behavior", f"{where}.behavior") or "create"
        if behavior not in ("create", "replace", "merge"):
            raise self.error(f"{behavior!r} is not one of create, replace, merge",
                             f"{where}.behavior")
        own = self._options(spec.get("options"), f"{where}.options")
        options = GeneratorOptions({**overall.labels, **own.labels},
                                   {**overall.annotations, **own.annotations},
                                   own.disable_hash or overall.disable_hash,
                                   own.immutable or overall.immutable)
        data: list[tuple[str, bytes]] = []
        envs = list(self._list(spec, "envs"))
        if spec.get("env"):
            envs.append(spec["env"])
        for i, env in enumerate(envs):
            data.extend(self._env_file(env, f"{where}.envs[{i}]"))
        for i, literal in enumerate(self._list(spec, "literals")):
            data.append(self._literal(literal, f"{where}.literals[{i}]"))
        for i, source in enumerate(self._list(spec, "files")):
            data.append(self._file_source(source, f"{where}.files[{i}]"))
        return Generator(where, kind, name, self._string(spec, "namespace", f"{where}.namespace"),
                         behavior, data, options,
                         self._string(spec, "type", f"{where}.type") or "Opaque")

    def _literal(self, literal: Any, where: str) -> tuple[str, bytes]:
        if not isinstance(literal, str) or "=" not in literal or literal.startswith("="):
            raise self.error(f"{literal!r} is not KEY=VALUE", where)
        key, value = literal.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        return key, value.encode()

    def _file_source(self, source: Any, where: str) -> tuple[str, bytes]:
        if not isinstance(source, str) or not source:
            raise self.error("must be PATH or KEY=PATH", where)
        key, _, path = source.rpartition("=")
        if not key:
            key = Path(path).name
        resolved = self._resolve(path, where)
        try:
            return key, resolved.read_bytes()
        except FileNotFoundError:
            raise self.error(f"generator file {path!r} does not exist", where) from None
        except IsADirectoryError:
            raise self.error(f"generator file {path!r} is a directory", where) from None

    def _env_file(self, path: Any, where: str) -> list[tuple[str, bytes]]:
        if not isinstance(path, str) or not path:
            raise self.error("must be a file path", where)
        resolved = self._resolve(path, where)
        try:
            text = resolved.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise self.error(f"generator file {path!r} does not exist", where) from None
        except (IsADirectoryError, UnicodeDecodeError) as err:
            raise self.error(f"generator file {path!r} is unreadable: {err}", where) from None
        pairs = []
        for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
            line = line.lstrip()
            if not line or line.startswith("#"):
                continue
            if "=" not in line:
                line += "="  # kustomize 5.5 gives a bare KEY an empty value
            key, value = line.split("=", 1)
            pairs.append((key, value.encode()))
        return pairs

    def _sort_options(self, value: Any, where: str) -> SortOptions | None:
        if value is None:
            return None
        spec = self._mapping(value, where, ("order", "legacySortOptions"))
        order = self._string(spec, "order", f"{where}.order")
        if order not in SORT_ORDERS:
            raise self.error(f"must be one of {', '.join(SORT_ORDERS)}, not {order!r}",
                             f"{where}.order")
        legacy = spec.get("legacySortOptions")
        if legacy is None:
            return SortOptions(order)
        if order != "legacy":
            raise self.error(f"is set but the order is {order!r}, not 'legacy'",
                             f"{where}.legacySortOptions")
        legacy = self._mapping(legacy, f"{where}.legacySortOptions", ("orderFirst", "orderLast"))
        lists = []
        for key in ("orderFirst", "orderLast"):
            kinds = self._list(legacy, key)
            for i, kind in enumerate(kinds):
                if not isinstance(kind, str):
                    raise self.error(f"must be a kind, not {_type(kind)}",
                                     f"{where}.legacySortOptions.{key}[{i}]")
            lists.append(list(kinds))
        return SortOptions(order, *lists)

    def _directory(self, where: str, reference: str, path: Path, kind: str) -> "Kustomization":
        if not (path / FILENAME).is_file():
            other = next((n for n in ("kustomization.yml", "Kustomization")
                          if (path / n).is_file()), None)
            rename = f" (rename its {other} to {FILENAME})" if other else ""
            raise self.error(f"directory {reference!r} has no {FILENAME}{rename}", where)
        if path.resolve() in self.parents:
            raise self.error(f"directory {reference!r} includes itself", where)
        return Reader(self.overlay, path, self.parents, stream_name=self.stream_name,
                      kind=kind).read()

    def _component(self, where: str, reference: Any) -> "Kustomization":
        if not isinstance(reference, str) or not reference:
            raise self.error("must be a relative path to a directory", where)
        path = self._resolve(reference, where, file=False)
        if not path.is_dir():
            raise self.error(f"{reference!r} is not a directory (a component is a directory "
                             f"with a {FILENAME} of kind Component)", where)
        return self._directory(where, reference, path, "Component")

    def _resource(self, where: str, reference: Any) -> Resource:
        if not isinstance(reference, str) or not reference:
            raise self.error("must be a relative path", where)
        path = self._resolve(reference, where, file=False)
        if path.is_dir():
            return Resource(where, [], self.overlay.display(path),
                            kustomization=self._directory(where, reference, path,
                                                          "Kustomization"))
        if PurePosixPath(reference).name == self.stream_name:
            # The Helm stream stands here; a file of that name (a leftover of a
            # script that ran kustomize) is never read.
            self._resolve(reference, where)
            return Resource(where, [], self.overlay.display(path), stream=True)
        if not path.exists():
            raise self.error(f"{reference!r} does not exist (if it stands for the Helm "
                             f"stream, name it with --stream-name "
                             f"{PurePosixPath(reference).name})", where)
        text, source = self._read(reference, where)
        try:
            documents = patchyaml.load_all(text, patchyaml.StrategicLoader)
        except yaml.YAMLError as err:
            raise self.error(f"{reference}: invalid YAML: {err}", where) from None
        objects = []
        for obj in documents:
            # kustomize reads a List (kind: List, ConfigMapList, ...) as its items.
            if isinstance(obj, dict) and str(obj.get("kind", "")).endswith("List") \
                    and isinstance(obj.get("items"), list):
                objects.extend(obj["items"])
            else:
                objects.append(obj)
        for n, obj in enumerate(objects):
            if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion") \
                    or not isinstance(obj.get("metadata"), dict) or not obj["metadata"].get("name"):
                raise self.error(f"{reference}: object {n + 1} is not a Kubernetes object "
                                 "(apiVersion, kind and metadata.name are required)", where)
        return Resource(where, objects, source)


def _type(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)
