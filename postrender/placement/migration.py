"""Rewrite placement that current Kubernetes ignores into the fields it honours.

`scheduler.alpha.kubernetes.io/tolerations|affinity` pod annotations become
spec.tolerations / spec.affinity (and are removed), and the deprecated
`failure-domain.beta.kubernetes.io/{zone,region}` label keys become
`topology.kubernetes.io/{zone,region}`. Every rewrite is returned as a note;
nothing is guessed: an annotation that is not valid JSON is an InputError.
"""
from __future__ import annotations

import json

from postrender.errors import InputError

TOLERATIONS_ANNOTATION = "scheduler.alpha.kubernetes.io/tolerations"
AFFINITY_ANNOTATION = "scheduler.alpha.kubernetes.io/affinity"
RENAMED_KEYS = {
    "failure-domain.beta.kubernetes.io/zone": "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region": "topology.kubernetes.io/region",
}
_NODE_PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"
_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def legacy_annotations(annotations: dict, spec: dict, where: dict, prefix: str) -> list[str]:
    """Move the alpha scheduler annotations into `spec`; both dicts are edited in place."""
    notes = []
    if TOLERATIONS_ANNOTATION in annotations:
        field = f"{prefix}.metadata.annotations.{TOLERATIONS_ANNOTATION}"
        tolerations = _json(annotations[TOLERATIONS_ANNOTATION], list, where, field)
        if not all(isinstance(t, dict) for t in tolerations):
            raise InputError("must be a JSON list of tolerations (objects)", **where, field=field)
        existing = spec.get("tolerations") or []
        spec["tolerations"] = existing
        added = [t for t in tolerations if t not in existing]
        existing.extend(added)
        del annotations[TOLERATIONS_ANNOTATION]
        notes.append(f"moved annotation {TOLERATIONS_ANNOTATION} to {prefix}.spec.tolerations "
                     f"({len(added)} added, {len(tolerations) - len(added)} already there)")
    if AFFINITY_ANNOTATION in annotations:
        field = f"{prefix}.metadata.annotations.{AFFINITY_ANNOTATION}"
        legacy = _json(annotations[AFFINITY_ANNOTATION], dict, where, field)
        spec["affinity"] = spec.get("affinity") or {}
        _merge_affinity(spec["affinity"], legacy, where, field, prefix)
        del annotations[AFFINITY_ANNOTATION]
        notes.append(f"moved annotation {AFFINITY_ANNOTATION} to {prefix}.spec.affinity "
                     f"({', '.join(sorted(legacy)) or 'empty'})")
    return notes


def _json(text, expected: type, where: dict, field: str):
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError as err:
        raise InputError(f"not valid JSON: {err}", **where, field=field) from None
    if not isinstance(value, expected):
        raise InputError(f"must be a JSON {'list' if expected is list else 'object'}",
                         **where, field=field)
    return value


def _merge_affinity(affinity: dict, legacy: dict, where: dict, field: str, prefix: str) -> None:
    for kind, value in legacy.items():
        if kind not in ("nodeAffinity", "podAffinity", "podAntiAffinity") or not isinstance(value, dict):
            raise InputError(f"unknown or malformed affinity {kind!r}", **where, field=field)
        current = affinity.get(kind) or {}
        affinity[kind] = current
        for rule, terms in value.items():
            if rule not in current:
                current[rule] = terms
            elif kind == "nodeAffinity" and rule == _REQUIRED:
                if current[rule] != terms:
                    raise InputError(
                        f"{kind}.{rule} is set both here and in {prefix}.spec.affinity, "
                        "differently; keep one", **where, field=field)
            elif isinstance(terms, list) and isinstance(current[rule], list):
                current[rule].extend(t for t in terms if t not in current[rule])
            else:
                raise InputError(f"{kind}.{rule} is malformed", **where, field=field)


def renamed_topology_keys(spec: dict, prefix: str) -> list[str]:
    """Replace deprecated failure-domain label keys wherever the scheduler reads label keys."""
    notes = []

    def rename(key: str, at: str) -> str:
        new = RENAMED_KEYS.get(key, key)
        if new != key:
            notes.append(f"{prefix}.{at}: {key} -> {new}")
        return new

    selector = spec.get("nodeSelector")
    if isinstance(selector, dict) and any(k in RENAMED_KEYS for k in selector):
        renamed = {}
        for key, value in selector.items():
            new = rename(key, "spec.nodeSelector")
            if new in renamed and renamed[new] != value:
                raise ValueError(f"{prefix}.spec.nodeSelector has both {key} and {new}, "
                                 "with different values")
            renamed[new] = value
        spec["nodeSelector"] = renamed

    affinity = spec.get("affinity") or {}
    node = affinity.get("nodeAffinity") or {}
    terms = list(((node.get(_REQUIRED) or {}).get("nodeSelectorTerms")) or [])
    terms += [p.get("preference") or {} for p in node.get(_NODE_PREFERRED) or []]
    for term in terms:
        for expression in term.get("matchExpressions") or []:
            if expression.get("key") in RENAMED_KEYS:
                expression["key"] = rename(expression["key"], "spec.affinity.nodeAffinity")
    for kind in ("podAffinity", "podAntiAffinity"):
        pod = affinity.get(kind) or {}
        for term in pod.get(_REQUIRED) or []:
            if term.get("topologyKey") in RENAMED_KEYS:
                term["topologyKey"] = rename(term["topologyKey"], f"spec.affinity.{kind}")
        for weighted in pod.get(_NODE_PREFERRED) or []:
            term = weighted.get("podAffinityTerm") or {}
            if term.get("topologyKey") in RENAMED_KEYS:
                term["topologyKey"] = rename(term["topologyKey"], f"spec.affinity.{kind}")
    for constraint in spec.get("topologySpreadConstraints") or []:
        if constraint.get("topologyKey") in RENAMED_KEYS:
            constraint["topologyKey"] = rename(constraint["topologyKey"],
                                               "spec.topologySpreadConstraints")
    return notes
