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
    keys = [_key(doc.obj, ranks) for doc in documents]
    # kustomize compares the core Namespace with another group's Namespace the
    # other way round. With Namespace among the ranked kinds (kustomize's own
    # lists) that is a plain order; with it unranked the comparison contradicts
    # itself and Go's sort decides: here the core Namespace goes right before
    # the first other Namespace kind (docs/overlay.md).
    others = {}
    for rank, text, _, kind, group in keys:
        if kind == "Namespace" and group:
            others[rank] = min(text, others.get(rank, text))
    order = sorted(range(len(documents)), key=lambda n: _position(keys[n], others))
    return [documents[n] for n in order]


def _key(obj: dict, ranks: dict[str, int]) -> tuple:
    group, version = split_api_version(str(obj.get("apiVersion") or ""))
    kind = str(obj.get("kind") or "")
    meta = obj.get("metadata") or {}
    text = "_".join((group or "~G", version or "~V", kind or "~K"))
    # One string, as kustomize compares it: "ns1|a" sorts after "ns10|a".
    ident = f"{meta.get('namespace') or '~X'}|{meta.get('name') or '~N'}"
    return ranks.get(kind, 0), text, ident, kind, group


def _position(key: tuple, others: dict) -> tuple:
    rank, text, ident, kind, group = key
    if kind == "Namespace" and not group and rank in others:
        return rank, others[rank], 0, ident
    return rank, text, 1, ident
