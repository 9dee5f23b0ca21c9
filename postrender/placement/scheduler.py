"""kube-scheduler's hard placement rules, as pure functions over plain dicts.

Covers what decides *whether* a pod may land on a node: spec.nodeName,
nodeSelector, required node affinity and taints/tolerations (the
NodeName, NodeAffinity, NodeUnschedulable and TaintToleration filters).
Resources, ports and volumes are out of scope; nothing here reads files.
"""
from __future__ import annotations

BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")
NODE_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")

# The DaemonSet controller adds these tolerations to every daemon pod
# (pkg/controller/daemon/util), so a DaemonSet is judged with them.
DAEMONSET_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


def tolerates(toleration: dict, taint: dict) -> bool:
    """Toleration.ToleratesTaint: effect, key, then operator/value."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    operator = toleration.get("operator") or "Equal"
    if not key:
        # An empty key with Exists tolerates everything; with Equal it is invalid.
        return operator == "Exists"
    if key != taint.get("key"):
        return False
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def untolerated(taints: list[dict], tolerations: list[dict]) -> list[dict]:
    """Taints that keep the pod off the node: NoSchedule/NoExecute ones not tolerated."""
    return [t for t in taints if t.get("effect") in BLOCKING_EFFECTS
            and not any(tolerates(tol, t) for tol in tolerations)]


def expression_matches(expression: dict, labels: dict) -> bool:
    """One NodeSelectorRequirement against a node's labels."""
    key = expression.get("key")
    operator = expression.get("operator")
    values = expression.get("values") or []
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    if operator in ("Gt", "Lt"):
        if key not in labels or len(values) != 1:
            return False
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if operator == "Gt" else have < want
    return False


def term_matches(term: dict, node: dict) -> bool:
    """A NodeSelectorTerm: its expressions and fields are ANDed; an empty term matches nothing."""
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    labels = node_labels(node)
    node_fields = {"metadata.name": node_name(node)}
    return (all(expression_matches(e, labels) for e in expressions)
            and all(expression_matches(f, node_fields) for f in fields))


def required_terms(spec: dict) -> list[dict] | None:
    """The required node affinity terms, or None when the pod has none."""
    affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if not required:
        return None
    return required.get("nodeSelectorTerms") or []


def node_name(node: dict) -> str:
    return (node.get("metadata") or {}).get("name", "")


def node_labels(node: dict) -> dict:
    return (node.get("metadata") or {}).get("labels") or {}


def node_taints(node: dict) -> list[dict]:
    spec = node.get("spec") or {}
    taints = list(spec.get("taints") or [])
    if spec.get("unschedulable"):
        taints.append(UNSCHEDULABLE_TAINT)
    return taints


def reasons_excluded(spec: dict, node: dict, *, daemonset: bool = False) -> list[str]:
    """Why the pod cannot be scheduled on `node` (empty when it can)."""
    reasons = []
    if spec.get("nodeName") and spec["nodeName"] != node_name(node):
        reasons.append(f"nodeName is {spec['nodeName']}")
    labels = node_labels(node)
    for key, value in (spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            reasons.append(f"nodeSelector {key}={value}")
    terms = required_terms(spec)
    if terms is not None and not any(term_matches(t, node) for t in terms):
        reasons.append("required node affinity")
    tolerations = list(spec.get("tolerations") or [])
    if daemonset:
        tolerations += DAEMONSET_TOLERATIONS
    for taint in untolerated(node_taints(node), tolerations):
        value = f"={taint['value']}" if taint.get("value") else ""
        reasons.append(f"taint {taint.get('key')}{value}:{taint.get('effect')}")
    return reasons


HOSTNAME_LABEL = "kubernetes.io/hostname"


def pinned_hostnames(spec: dict) -> list[str] | None:
    """The hostnames (kubernetes.io/hostname) the pod is confined to, or None when it is not.

    A nodeSelector on the label confines it to one; required node affinity
    confines it when every term has an In expression on the label (terms are
    ORed, so the union of their values).
    """
    selector = spec.get("nodeSelector") or {}
    if HOSTNAME_LABEL in selector:
        return [selector[HOSTNAME_LABEL]]
    terms = required_terms(spec)
    if not terms:
        return None
    names: list[str] = []
    for term in terms:
        values = None
        for expression in term.get("matchExpressions") or []:
            if expression.get("key") == HOSTNAME_LABEL and expression.get("operator") == "In":
                values = [v for v in expression.get("values") or [] if v not in names]
                break
        if values is None:
            return None
        names += values
    return names


def requires_label(spec: dict, key: str, value: str) -> bool:
    """Whether every node the pod may use must carry `key=value` (or `key`, when value is '')."""
    selector = spec.get("nodeSelector") or {}
    if key in selector and (not value or selector[key] == value):
        return True
    terms = required_terms(spec)
    if not terms:
        return False
    return all(_term_confines(term, key, value) for term in terms)


def _term_confines(term: dict, key: str, value: str) -> bool:
    for expression in term.get("matchExpressions") or []:
        if expression.get("key") != key:
            continue
        operator = expression.get("operator")
        values = set(expression.get("values") or [])
        if value and operator == "In" and values and values <= {value}:
            return True
        if not value and operator in ("In", "Exists"):
            return True
    return False
