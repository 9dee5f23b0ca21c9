"""Where labels, annotations and the namespace go, as kustomize sets them.

The field lists below are kustomize's built-in field specs for commonLabels,
labels (with and without selectors and templates), commonAnnotations and
namespace. The maps are found (and created where kustomize creates them)
here; `sharedvalues` sets the keys. Nothing is ever removed.
"""
from __future__ import annotations

from postrender.overlay.selector import CLUSTER_SCOPED, split_api_version

# (group or None for any, kind, path, create-if-missing)
_WORKLOADS = ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet")
_SPREAD = "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels"
_AFFINITY = tuple(
    f"spec/template/spec/affinity/{kind}/{term}/labelSelector/matchLabels"
    for kind in ("podAffinity", "podAntiAffinity")
    for term in ("preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm",
                 "requiredDuringSchedulingIgnoredDuringExecution"))

TEMPLATE_LABELS = (
    ("", "ReplicationController", "spec/template/metadata/labels", True),
    (None, "Deployment", "spec/template/metadata/labels", True),
    (None, "ReplicaSet", "spec/template/metadata/labels", True),
    (None, "DaemonSet", "spec/template/metadata/labels", True),
    ("apps", "StatefulSet", "spec/template/metadata/labels", True),
    ("batch", "Job", "spec/template/metadata/labels", True),
    ("batch", "CronJob", "spec/jobTemplate/metadata/labels", True),
    ("batch", "CronJob", "spec/jobTemplate/spec/template/metadata/labels", True),
    ("apps", "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", True),
)

SELECTOR_LABELS = (
    ("", "Service", "spec/selector", True),
    ("", "ReplicationController", "spec/selector", True),
    (None, "Deployment", "spec/selector/matchLabels", True),
    *(("apps", "Deployment", path, False) for path in _AFFINITY),
    ("apps", "Deployment", _SPREAD, False),
    (None, "ReplicaSet", "spec/selector/matchLabels", True),
    (None, "DaemonSet", "spec/selector/matchLabels", True),
    ("apps", "StatefulSet", "spec/selector/matchLabels", True),
    *(("apps", "StatefulSet", path, False) for path in _AFFINITY),
    ("apps", "StatefulSet", _SPREAD, False),
    ("batch", "Job", "spec/selector/matchLabels", False),
    ("batch", "CronJob", "spec/jobTemplate/spec/selector/matchLabels", False),
    ("policy", "PodDisruptionBudget", "spec/selector/matchLabels", False),
    ("networking.k8s.io", "NetworkPolicy", "spec/podSelector/matchLabels", False),
    ("networking.k8s.io", "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels", False),
    ("networking.k8s.io", "NetworkPolicy", "spec/egress/to/podSelector/matchLabels", False),
)

TEMPLATE_ANNOTATIONS = (
    ("", "ReplicationController", "spec/template/metadata/annotations", True),
    (None, "Deployment", "spec/template/metadata/annotations", True),
    (None, "ReplicaSet", "spec/template/metadata/annotations", True),
    (None, "DaemonSet", "spec/template/metadata/annotations", True),
    ("apps", "StatefulSet", "spec/template/metadata/annotations", True),
    ("batch", "Job", "spec/template/metadata/annotations", True),
    ("batch", "CronJob", "spec/jobTemplate/metadata/annotations", True),
    ("batch", "CronJob", "spec/jobTemplate/spec/template/metadata/annotations", True),
)


def _maps(node, parts: list[str], create: bool, path: tuple = ()):
    """(path, mapping) for every mapping at the path below node, created where allowed."""
    if not parts:
        if isinstance(node, dict):
            yield path, node
        return
    head, rest = parts[0], parts[1:]
    listed = head.endswith("[]")
    if listed:
        head = head[:-2]
    child = node.get(head) if isinstance(node, dict) else None
    if listed and child is None:
        return  # a list is walked, never created
    if isinstance(child, list):
        for n, item in enumerate(child):
            yield from _maps(item, rest, create, (*path, head, n))
        return
    if child is None:
        if not create or not isinstance(node, dict):
            return
        child = node[head] = {}
    yield from _maps(child, rest, create, (*path, head))


def _specs_for(obj: dict, specs) -> list[tuple[list[str], bool]]:
    group, _ = split_api_version(obj.get("apiVersion", ""))
    kind = obj.get("kind")
    return [(path.split("/"), create) for g, k, path, create in specs
            if k == kind and (g is None or g == group)]


def _targets(obj: dict, specs) -> list[tuple[tuple, dict]]:
    return [found for parts, create in specs for found in list(_maps(obj, parts, create))]


def label_maps(obj: dict, *, selectors: bool, templates: bool) -> list[tuple[tuple, dict]]:
    """(path, map) of every label map a labels entry reaches, created where kustomize does."""
    specs = (*(TEMPLATE_LABELS if templates else ()), *(SELECTOR_LABELS if selectors else ()))
    return _targets(obj, [(["metadata", "labels"], True), *_specs_for(obj, specs)])


def annotation_maps(obj: dict) -> list[tuple[tuple, dict]]:
    """(path, map) of every annotation map commonAnnotations reaches."""
    return _targets(obj, [(["metadata", "annotations"], True),
                          *_specs_for(obj, TEMPLATE_ANNOTATIONS)])


_NAMESPACE_REFERRERS = ("RoleBinding", "ClusterRoleBinding", "ValidatingWebhookConfiguration",
                        "MutatingWebhookConfiguration", "APIService", "CustomResourceDefinition")


def namespace_applies(obj: dict, namespace: str) -> bool:
    """Whether set_namespace could change this object (so that others stay untouched)."""
    kind = obj.get("kind")
    if kind in _NAMESPACE_REFERRERS:
        return True
    return kind not in CLUSTER_SCOPED and (obj.get("metadata") or {}).get("namespace") != namespace


def set_namespace(obj: dict, namespace: str) -> None:
    kind = obj.get("kind")
    if kind not in CLUSTER_SCOPED:
        obj.setdefault("metadata", {})["namespace"] = namespace
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        for subject in obj.get("subjects") or ():
            if isinstance(subject, dict) and subject.get("name") == "default":
                subject["namespace"] = namespace
    if kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        for hook in obj.get("webhooks") or ():
            service = ((hook or {}).get("clientConfig") or {}).get("service")
            if isinstance(service, dict):
                service["namespace"] = namespace
    if kind == "APIService":
        service = (obj.get("spec") or {}).get("service")
        if isinstance(service, dict):
            service["namespace"] = namespace
    if kind == "CustomResourceDefinition":
        service = ((((obj.get("spec") or {}).get("conversion") or {}).get("webhook") or {})
                   .get("clientConfig") or {}).get("service")
        if isinstance(service, dict):
            service["namespace"] = namespace
