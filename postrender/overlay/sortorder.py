"""The order of the output: kustomize's `sortOptions` (legacy or fifo).

`fifo` keeps the order in which the kustomization tree collected the
resources (the stream where it is listed, generated objects after the
resources of their kustomization). `legacy` sorts as kustomize 5.5 does:
kinds ranked by `orderFirst` and `orderLast` (kustomize's own lists unless
the kustomization gives its own), then by group, version and kind, then by
namespace and name. Documents move whole, with their Helm 3 `# Source:`
comment and Helm 4 file annotation.
"""
from __future__ import annotations

from functools import cmp_to_key

from postrender.document import Document
from postrender.overlay.kustomization import SortOptions
from postrender.overlay.selector import split_api_version

# kustomize's built-in legacy order: these kinds first, in this order ...
ORDER_FIRST = (
    "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition",
    "ServiceAccount", "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding",
    "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service", "LimitRange",
    "PriorityClass", "PersistentVolume", "PersistentVolumeClaim", "Deployment",
    "StatefulSet", "CronJob", "PodDisruptionBudget",
)
# ... and these last, every other kind in between.
ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def sort(documents: list[Document], options: SortOptions | None) -> list[Document]:
    """The documents in the order the options ask for (no options: as collected)."""
    if options is None or options.order == "fifo":
        return documents
    first = ORDER_FIRST if options.order_first is None else options.order_first
    last = ORDER_LAST if options.order_last is None else options.order_last
    ranks: dict[str, int] = {}
    for n, kind in enumerate(first):
        ranks[kind] = n - len(first)
    for n, kind in enumerate(last):
        ranks[kind] = n + 1
    keys = {id(doc): _Key(doc.obj, ranks) for doc in documents}
    return sorted(documents, key=cmp_to_key(lambda a, b: _compare(keys[id(a)], keys[id(b)])))


class _Key:
    __slots__ = ("gvk", "rank", "gvk_text", "id_text", "kind", "group")

    def __init__(self, obj: dict, ranks: dict[str, int]):
        group, version = split_api_version(str(obj.get("apiVersion") or ""))
        kind = str(obj.get("kind") or "")
        meta = obj.get("metadata") or {}
        self.gvk = (group, version, kind)
        self.kind, self.group = kind, group
        self.rank = ranks.get(kind, 0)
        self.gvk_text = "_".join((group or "~G", version or "~V", kind or "~K"))
        # One string, as kustomize compares it: "ns1|a" sorts after "ns10|a".
        self.id_text = f"{meta.get('namespace') or '~X'}|{meta.get('name') or '~N'}"


def _less(a: _Key, b: _Key) -> bool:
    if a.gvk != b.gvk:
        if a.rank != b.rank:
            return a.rank < b.rank
        if a.kind == b.kind == "Namespace" and (a.group == "" or b.group == ""):
            return a.gvk_text > b.gvk_text   # as kustomize: the core Namespace before others
        return a.gvk_text < b.gvk_text
    return a.id_text < b.id_text


def _compare(a: _Key, b: _Key) -> int:
    return -1 if _less(a, b) else 1 if _less(b, a) else 0
