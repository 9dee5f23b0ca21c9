"""Which resources a patch target selects, found through indexes built once.

Matching follows kustomize: group, version, kind, name and namespace are
anchored regular expressions (name and namespace tried against both the
original and the current id), and label and annotation selectors use the
Kubernetes selector syntax. The index never rescans the stream per patch.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from postrender.overlay.kustomization import Target

# Kinds kustomize treats as cluster-scoped: their effective namespace is empty.
CLUSTER_SCOPED = frozenset((
    "APIService", "CSIDriver", "CSINode", "CertificateSigningRequest", "ClusterRole",
    "ClusterRoleBinding", "ComponentStatus", "CustomResourceDefinition", "FlowSchema",
    "IngressClass", "MutatingWebhookConfiguration", "Namespace", "Node",
    "PersistentVolume", "PodSecurityPolicy", "PriorityClass", "PriorityLevelConfiguration",
    "RuntimeClass", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "StorageClass",
    "SubjectAccessReview", "TokenReview", "ValidatingWebhookConfiguration",
    "VolumeAttachment",
))

_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]*\Z")


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def effective_namespace(kind: str, namespace: str | None) -> str:
    if kind in CLUSTER_SCOPED:
        return ""
    return namespace or "default"


def anchored(pattern: str, where: str):
    from postrender.errors import ConfigError  # local: only on the error path
    try:
        return re.compile(f"(?:{pattern})\\Z")
    except re.error as err:
        raise ConfigError(f"{pattern!r} is not a regular expression: {err}", field=where) from None


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str            # =, !=, in, notin, exists, !exists
    values: frozenset = frozenset()

    def matches(self, labels: dict) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.operator == "exists":
            return present
        if self.operator == "!exists":
            return not present
        if self.operator in ("=", "in"):
            return present and str(value) in self.values
        # != and notin also match objects without the key, as in Kubernetes.
        return not present or str(value) not in self.values


_REQUIREMENT = re.compile(r"""\s*(?:
    (?P<not>!)\s*(?P<nkey>[^\s!=,()]+)
  | (?P<key>[^\s!=,()]+)\s*(?:
        (?P<op>==|=|!=)\s*(?P<value>[^\s,()]*)
      | \s(?P<set>in|notin)\s*\((?P<values>[^)]*)\)
    )?
)\s*(?:,|\Z)""", re.X)


def parse_selector(text: str, where: str) -> list[Requirement]:
    from postrender.errors import ConfigError
    requirements = []
    position = 0
    text = text.strip()
    while position < len(text):
        m = _REQUIREMENT.match(text, position)
        if not m or m.end() == position:
            raise ConfigError(f"invalid selector {text!r} at {text[position:]!r}", field=where)
        position = m.end()
        if m.group("not"):
            requirements.append(Requirement(m.group("nkey"), "!exists"))
        elif m.group("op"):
            op = "!=" if m.group("op") == "!=" else "="
            requirements.append(Requirement(m.group("key"), op, frozenset([m.group("value")])))
        elif m.group("set"):
            values = frozenset(v.strip() for v in m.group("values").split(",") if v.strip())
            requirements.append(Requirement(m.group("key"), m.group("set"), values))
        else:
            requirements.append(Requirement(m.group("key"), "exists"))
    return requirements


class Selection:
    """A compiled target: call `select(index)` for the matching positions."""

    def __init__(self, target: Target, where: str):
        self.target = target
        self.gvk = [(field, anchored(value, f"{where}.{field}"))
                    for field, value in (("group", target.group), ("version", target.version),
                                         ("kind", target.kind)) if value]
        self.name = anchored(target.name, f"{where}.name") if target.name else None
        self.namespace = (anchored(target.namespace, f"{where}.namespace")
                          if target.namespace else None)
        self.labels = (parse_selector(target.label_selector, f"{where}.labelSelector")
                       if target.label_selector else [])
        self.annotations = (parse_selector(target.annotation_selector,
                                           f"{where}.annotationSelector")
                            if target.annotation_selector else [])

    def matches(self, index: "ResourceIndex", position: int) -> bool:
        obj = index.objects[position]
        kind = obj.get("kind", "")
        group, version = split_api_version(obj.get("apiVersion", ""))
        actual = {"group": group, "version": version, "kind": kind}
        if not all(pattern.match(actual[field]) for field, pattern in self.gvk):
            return False
        meta = obj.get("metadata") or {}
        original_name, original_namespace = index.original[position]
        if self.name and not (self.name.match(original_name)
                              or self.name.match(meta.get("name", ""))):
            return False
        if self.namespace:
            original = effective_namespace(kind, original_namespace)
            current = effective_namespace(kind, meta.get("namespace"))
            if not (self.namespace.match(original) or self.namespace.match(current)):
                return False
        labels = meta.get("labels") or {}
        if not all(r.matches(labels) for r in self.labels):
            return False
        annotations = meta.get("annotations") or {}
        return all(r.matches(annotations) for r in self.annotations)

    def select(self, index: "ResourceIndex") -> list[int]:
        t = self.target
        candidates = None
        if t.name and _PLAIN_NAME.match(t.name):
            candidates = index.by_name.get(t.name, set())
        for r in self.labels:
            if r.operator == "=" and len(r.values) == 1:
                (value,) = r.values
                found = index.by_label.get((r.key, value), set())
                candidates = found if candidates is None else candidates & found
        if t.kind and candidates is None and _PLAIN_NAME.match(t.kind):
            candidates = index.by_kind.get(t.kind, set())
        if candidates is None:
            candidates = index.live()
        return sorted(p for p in candidates if index.objects[p] is not None
                      and self.matches(index, p))


class ResourceIndex:
    """Positions of the resources by kind, name (original and current) and label."""

    def __init__(self, objects: list[dict]):
        self.objects: list[dict | None] = list(objects)
        self.original: list[tuple[str, str | None]] = []
        self.by_kind: dict[str, set[int]] = defaultdict(set)
        self.by_name: dict[str, set[int]] = defaultdict(set)
        self.by_label: dict[tuple[str, str], set[int]] = defaultdict(set)
        self._tables = {"kind": self.by_kind, "name": self.by_name, "label": self.by_label}
        self._keys: list[tuple] = []
        for position, obj in enumerate(self.objects):
            meta = obj.get("metadata") or {}
            self.original.append((meta.get("name", ""), meta.get("namespace")))
            self._keys.append(())
            self._add(position)

    def _entries(self, position: int) -> tuple:
        obj = self.objects[position]
        if obj is None:
            return ()
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        return (("kind", obj.get("kind", "")), ("name", meta.get("name", "")),
                ("name", self.original[position][0]),
                *(("label", (k, str(v))) for k, v in labels.items()))

    def _add(self, position: int) -> None:
        keys = self._entries(position)
        self._keys[position] = keys
        tables = self._tables
        for table, key in keys:
            tables[table][key].add(position)

    def append(self, obj: dict, original: tuple[str, str | None] | None = None) -> int:
        """Add a resource; `original` is its (name, namespace) before any rename."""
        position = len(self.objects)
        meta = obj.get("metadata") or {}
        self.objects.append(obj)
        self.original.append(original or (meta.get("name", ""), meta.get("namespace")))
        self._keys.append(())
        self._add(position)
        return position

    def update(self, position: int, obj: dict | None) -> None:
        """Replace (or with None, delete) the object at a position and re-index it."""
        tables = self._tables
        for table, key in self._keys[position]:
            tables[table][key].discard(position)
        self.objects[position] = obj
        self._add(position)

    def live(self) -> set[int]:
        return {p for p, obj in enumerate(self.objects) if obj is not None}

    def find(self, api_version: str, kind: str, name: str, namespace: str | None) -> int | None:
        """The resource with exactly this id (kustomize's GetById: original or current)."""
        namespace = effective_namespace(kind, namespace)
        for position in sorted(self.by_name.get(name, ())):
            obj = self.objects[position]
            if obj is None or obj.get("kind") != kind or obj.get("apiVersion") != api_version:
                continue
            meta = obj.get("metadata") or {}
            original_name, original_namespace = self.original[position]
            if name == original_name and namespace == effective_namespace(kind, original_namespace):
                return position
            if name == meta.get("name") and namespace == effective_namespace(
                    kind, meta.get("namespace")):
                return position
        return None
