"""Where a pod template lives in each workload kind: the one place that knows.

Placement, hot-fixes, image overrides and checks all ask this module, so a
new workload kind is taught here once.
"""
from __future__ import annotations

from collections.abc import Iterator

from postrender.document import Document

# kind -> path of keys from the object to its PodSpec-bearing template.
# A Pod is its own template: its `spec` is the PodSpec.
TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
}

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def is_workload(obj: dict) -> bool:
    return obj.get("kind") in TEMPLATE_PATHS and _api_group_is_core(obj)


def _api_group_is_core(obj: dict) -> bool:
    # A custom resource may be called "Deployment" too; only built-in groups count.
    group = obj.get("apiVersion", "").rpartition("/")[0]
    return group in ("", "apps", "batch", "extensions")


def field_path(kind: str) -> str:
    """'spec.template' for a Deployment: the prefix used in error messages."""
    return ".".join(TEMPLATE_PATHS[kind]) or "(pod)"


def pod_template(obj: dict, *, create: bool = False) -> dict | None:
    """The template mapping (metadata + spec) of a workload, or None if it has none.

    With create=True, missing intermediate mappings are created (for stages
    that add to an otherwise empty template).
    """
    if not is_workload(obj):
        return None
    node = obj
    for key in TEMPLATE_PATHS[obj["kind"]]:
        child = node.get(key)
        if not isinstance(child, dict):
            if not create:
                return None
            child = node[key] = {}
        node = child
    return node


def pod_spec(obj: dict, *, create: bool = False) -> dict | None:
    template = pod_template(obj, create=create)
    if template is None:
        return None
    spec = template.get("spec")
    if not isinstance(spec, dict):
        if not create:
            return None
        spec = template["spec"] = {}
    return spec


def template_metadata(obj: dict, *, create: bool = False) -> dict | None:
    """The pod template's metadata (the object's own metadata for a bare Pod)."""
    template = pod_template(obj, create=create)
    if template is None:
        return None
    meta = template.get("metadata")
    if not isinstance(meta, dict):
        if not create:
            return None
        meta = template["metadata"] = {}
    return meta


def containers(spec: dict) -> Iterator[tuple[str, int, dict]]:
    """(list name, index, container) for init, regular and ephemeral containers."""
    for list_name in CONTAINER_LISTS:
        for i, container in enumerate(spec.get(list_name) or ()):
            if isinstance(container, dict):
                yield list_name, i, container


def workloads(documents: list[Document]) -> Iterator[tuple[Document, dict]]:
    """(document, pod spec) for every document that carries a pod template."""
    # Most of a stream is not a workload: a comprehension rejects it before any call.
    for doc in [doc for doc in documents if doc.obj.get("kind") in TEMPLATE_PATHS]:
        spec = pod_spec(doc.obj)
        if spec is not None:
            yield doc, spec
