"""The placement stage: species tolerations, node selection, pinning and zone spread.

For every pod template in the stream (found through podtemplate) it migrates
legacy scheduler annotations, asks the policy for a Decision, and merges it
into the pod spec without dropping what the chart already says. It edits a
copy of the placement fields and changes a document only when they differ,
then through splice (the chart's text kept) or, failing that, touch().
Node selection is by nodeSelector (equality: species labels, one hostname)
and, only for what nodeSelector cannot say (NotIn: "anywhere but dedicated";
In: the hosts of a node group), by required node affinity added to every
term (terms are ORed).
"""
from __future__ import annotations

import marshal

from postrender import podtemplate
from postrender.diagnostics import Diagnostics
from postrender.document import Document
from postrender.errors import ConfigError, InputError
from postrender.placement import decision as decisions
from postrender.placement import migration, scheduler, splice
from postrender.placement.policy import FROM_ANNOTATION, HOSTNAME_ANNOTATION, Policy, Rule
from postrender.placement.selector import label_value_problem

HOSTNAME_LABEL = "kubernetes.io/hostname"
ZONE_LABEL = "topology.kubernetes.io/zone"
REPLICATED_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")
# The pod spec fields placement owns; only these are copied, compared and written back.
FIELDS = ("nodeName", "nodeSelector", "affinity", "tolerations", "topologySpreadConstraints")
_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


class PlacementStage:
    name = "placement"

    def __init__(self, policy: Policy):
        self.policy = policy

    def apply(self, documents: list[Document], diagnostics: Diagnostics) -> list[Document]:
        used: set[str] = set()
        # Workloads repeat in a stream (one DaemonSet per node group, a chart per
        # region): equal inputs get the changes computed for the first.
        memo: dict[tuple, bytes] = {}
        for doc, spec in podtemplate.workloads(documents):
            _place(self.policy, doc, spec, diagnostics, used, memo)
        for rule in self.policy.rules:
            if rule.name not in used and not rule.optional:
                diagnostics.warn(f"{rule.where}: placement rule matches no workload",
                                 strict=True)
        return documents


def _labels(doc: Document, template_metadata: dict) -> dict:
    """The workload's labels, overlaid by its pod template's (the pods are what is placed)."""
    template_labels = template_metadata.get("labels") or {}
    return {**doc.labels, **template_labels} if template_labels else doc.labels


def _place(policy: Policy, doc: Document, spec: dict, diagnostics: Diagnostics,
           used: set[str], memo: dict) -> None:
    kind = doc.kind
    meta = podtemplate.template_metadata(doc.obj) or {}
    name, namespace, labels = doc.name, doc.namespace or "", _labels(doc, meta)
    matched = [r for r in policy.rules if r.matches(kind, name, namespace, labels)]
    used.update(r.name for r in matched)

    # A null field is as good as an absent one; it is only written if placement sets it.
    original = {k: spec[k] for k in FIELDS if spec.get(k) is not None}
    annotations = meta.get("annotations") or {}
    legacy = (migration.TOLERATIONS_ANNOTATION in annotations
              or migration.AFFINITY_ANNOTATION in annotations)
    key = None if legacy else _memo_key(doc, kind, matched, original, meta, annotations)
    cached = memo.get(key) if key is not None else None
    if cached is not None:
        # The same inputs as an earlier workload: the same changes, each its own copy.
        changes = _thaw(cached)
        notes: list[str] = []
    else:
        changes, notes = _changes(policy, doc, kind, meta, matched, original, annotations,
                                  legacy)
        if key is not None and not notes:  # a note names its workload: never reused
            try:
                memo[key] = _freeze(changes)
            except ValueError:  # a policy value marshal cannot write: not reused
                pass
    if not changes and not legacy:
        return
    text = None
    if not legacy and not doc.dirty:
        path = (*podtemplate.TEMPLATE_PATHS[kind], "spec")
        text = splice.splice(doc.text, path, _levels(doc.obj, path), changes)
    if text is None:
        doc.touch()
    else:
        # The edited text represents the edited object exactly: the emitter may
        # keep writing text, and the document stays untouched.
        doc.text = text
    for field, value in changes.items():
        if value is splice.REMOVED:
            del spec[field]
        else:
            spec[field] = value
    for note in notes:
        diagnostics.note(f"{doc.file or '<stdin>'}: {doc.address()}: {note}")


def _freeze(changes: dict) -> bytes:
    """The changes as marshal data: `_thaw` makes a deep copy in C, not in Python."""
    return marshal.dumps([(field, None if value is splice.REMOVED else value,
                           value is splice.REMOVED) for field, value in changes.items()])


def _thaw(frozen: bytes) -> dict:
    return {field: splice.REMOVED if removed else value
            for field, value, removed in marshal.loads(frozen)}


def _memo_key(doc: Document, kind: str, matched: list[Rule], original: dict, meta: dict,
              annotations: dict) -> tuple | None:
    """Everything `_changes` reads of a workload, or None when it cannot be a key.

    The name and namespace count only through the rules they matched; the
    replicas, selector and template labels only where zone spread may apply.
    """
    spread = None
    if kind in REPLICATED_KINDS:
        workload_spec = doc.obj.get("spec") or {}
        spread = (workload_spec.get("replicas"), workload_spec.get("selector"),
                  meta.get("labels"))
    try:
        return (kind, tuple(map(id, matched)),
                marshal.dumps((original, spread, doc.annotations.get(HOSTNAME_ANNOTATION),
                               annotations.get(HOSTNAME_ANNOTATION))))
    except ValueError:  # a value from an explicit YAML tag marshal cannot write
        return None


def _changes(policy: Policy, doc: Document, kind: str, meta: dict, matched: list[Rule],
             original: dict, annotations: dict, legacy: bool) -> tuple[dict, list[str]]:
    """(field -> new value or splice.REMOVED, notes) for one workload's pod spec.

    Legacy annotations are migrated here; the template's annotations are
    rewritten at once when they were.
    """
    prefix = ".".join(podtemplate.TEMPLATE_PATHS[kind])
    spec_path = f"{prefix}.spec" if prefix else "spec"
    where = doc.error_location()
    _check_shapes(original, spec_path, where)
    work = _copy(original)
    notes = []
    if legacy:
        annotations = dict(annotations)
        notes += migration.legacy_annotations(annotations, work, where, prefix or "(pod)")
        _check_shapes(work, spec_path, where)
    try:
        notes += migration.renamed_topology_keys(work, prefix or "(pod)")
    except ValueError as err:
        raise InputError(str(err), **where) from None

    decision = decisions.decide(policy, matched, where)
    _merge(policy, decision, doc, work, spec_path, where)

    for key in list(work):
        if key not in original and work[key] in ({}, [], None):
            del work[key]
    changes = {k: work.get(k, splice.REMOVED) for k in FIELDS
               if work.get(k, splice.REMOVED) != original.get(k, splice.REMOVED)}
    if legacy:
        doc.touch()
        template_meta = podtemplate.template_metadata(doc.obj)
        if annotations:
            template_meta["annotations"] = annotations
        else:
            template_meta.pop("annotations", None)
    return changes, notes


def _copy(value):
    """A deep copy of parsed YAML (dicts, lists, scalars), without deepcopy's bookkeeping."""
    cls = value.__class__
    if cls is dict:
        return {k: _copy(v) if v.__class__ in _CONTAINERS else v for k, v in value.items()}
    if cls is list:
        return [_copy(v) if v.__class__ in _CONTAINERS else v for v in value]
    return value


_CONTAINERS = (dict, list)


def child(mapping: dict, key: str, kind: type):
    """mapping[key], created empty when absent or null."""
    value = mapping.get(key)
    if value is None:
        value = mapping[key] = kind()
    return value


_SHAPES = {"nodeName": str, "nodeSelector": dict, "affinity": dict, "tolerations": list,
           "topologySpreadConstraints": list}


def _check_shapes(fields: dict, spec_path: str, where: dict) -> None:
    """The placement fields have the types the API gives them, down to the terms edited."""
    def expect(value, kind, field):
        if value is not None and not isinstance(value, kind):
            raise InputError(f"must be a {'mapping' if kind is dict else kind.__name__}, "
                             f"not {type(value).__name__}", **where, field=field)

    for key, kind in _SHAPES.items():
        expect(fields.get(key), kind, f"{spec_path}.{key}")
    for i, item in enumerate(fields.get("tolerations") or []):
        expect(item, dict, f"{spec_path}.tolerations[{i}]")
    for i, item in enumerate(fields.get("topologySpreadConstraints") or []):
        expect(item, dict, f"{spec_path}.topologySpreadConstraints[{i}]")
    affinity = fields.get("affinity") or {}
    field = f"{spec_path}.affinity"
    for kind in ("nodeAffinity", "podAffinity", "podAntiAffinity"):
        expect(affinity.get(kind), dict, f"{field}.{kind}")
    node = affinity.get("nodeAffinity") or {}
    expect(node.get(_REQUIRED), dict, f"{field}.nodeAffinity.{_REQUIRED}")
    terms = (node.get(_REQUIRED) or {}).get("nodeSelectorTerms")
    expect(terms, list, f"{field}.nodeAffinity.{_REQUIRED}.nodeSelectorTerms")
    for i, term in enumerate(terms or []):
        at = f"{field}.nodeAffinity.{_REQUIRED}.nodeSelectorTerms[{i}]"
        expect(term, dict, at)
        expect(term.get("matchExpressions"), list, f"{at}.matchExpressions")
        for j, expression in enumerate(term.get("matchExpressions") or []):
            expect(expression, dict, f"{at}.matchExpressions[{j}]")


def _levels(obj: dict, path: tuple[str, ...]) -> list[dict]:
    levels = [obj]
    for key in path:
        levels.append(levels[-1][key])
    return levels


class _Wants:
    """What the policy requires of the nodes, each requirement with the rule it came from."""

    def __init__(self):
        self.node_selector: dict[str, tuple[str, Rule, str]] = {}   # key -> (value, rule, why)
        self.not_in: dict[str, tuple[set[str], Rule, str]] = {}     # key -> (values, rule, why)
        self.in_: dict[str, tuple[list[str], Rule, str]] = {}       # key -> (values, rule, why)
        self.toleration: tuple[dict, dict, Rule] | None = None       # (toleration, taint, rule)


def _wants(policy: Policy, decision: decisions.Decision, doc: Document, where: dict) -> _Wants:
    wants = _Wants()
    target = decision.target
    if target is not None and target.value == decisions.ANYWHERE_BUT_DEDICATED:
        for species in policy.dedicated_species():
            for key, value in species.node_labels.items():
                values, _, _ = wants.not_in.setdefault(
                    key, (set(), target.rule, "anywhere but dedicated nodes"))
                values.add(value)
    elif target is not None:
        species = policy.species[target.value]
        for key, value in species.node_labels.items():
            wants.node_selector[key] = (value, target.rule, f"species {species.name}")
        if species.taint is not None:
            wants.toleration = (species.toleration(), species.taint, target.rule)
    if decision.hostname is not None:
        hostnames = [decision.hostname.value]
        why = "hostname"
        if hostnames[0] == FROM_ANNOTATION:
            hostnames = _annotated_hostnames(doc, where)
            why = f"annotation {HOSTNAME_ANNOTATION}"
        if len(hostnames) == 1:
            wants.node_selector[HOSTNAME_LABEL] = (hostnames[0], decision.hostname.rule, why)
        elif hostnames:
            # A node group: the pods may run on any of its hosts (a DaemonSet: on each).
            wants.in_[HOSTNAME_LABEL] = (hostnames, decision.hostname.rule, why)
    return wants


def _annotated_hostnames(doc: Document, where: dict) -> list[str]:
    """The node, or the comma-separated nodes, the annotation names; [] without one."""
    meta = podtemplate.template_metadata(doc.obj) or {}
    for field, annotations in (("metadata", doc.annotations),
                               ("pod template metadata", meta.get("annotations") or {})):
        if HOSTNAME_ANNOTATION in annotations:
            value = annotations[HOSTNAME_ANNOTATION]
            field = f"{field}.annotations.{HOSTNAME_ANNOTATION}"
            if not isinstance(value, str) or not value:
                raise InputError("must be a node name, or node names separated by commas",
                                 **where, field=field)
            names = value.split(",")
            for name in names:
                problem = label_value_problem(name) if name else \
                    f"an empty node name in {value!r}"
                if problem:
                    raise InputError(problem, **where, field=field)
            if len(set(names)) != len(names):
                twice = next(n for n in names if names.count(n) > 1)
                raise InputError(f"node {twice!r} is named twice", **where, field=field)
            return names
    return []


def _contradiction(where: dict, field: str, chart: str, rule: Rule, policy_says: str):
    return ConfigError(
        f"the chart has {chart}, but {rule.where} requires {policy_says}; "
        "add override: true to the rule to replace the chart's value", **where, field=field)


def _merge(policy: Policy, decision: decisions.Decision, doc: Document, work: dict,
           spec_path: str, where: dict) -> None:
    wants = _wants(policy, decision, doc, where)
    selector = work.get("nodeSelector") or {}

    # nodeSelector against the policy: same key, other value; or a value the policy excludes.
    for key, (value, rule, why) in wants.node_selector.items():
        have = selector.get(key)
        if have is not None and have != value:
            if not rule.override:
                raise _contradiction(where, f"{spec_path}.nodeSelector.{key}", f"{key}={have}",
                                     rule, f"{key}={value} ({why})")
    for key, (values, rule, why) in wants.not_in.items():
        have = selector.get(key)
        if have in values and not rule.override:
            raise _contradiction(where, f"{spec_path}.nodeSelector.{key}", f"{key}={have}",
                                 rule, f"{key} not in ({', '.join(sorted(values))}) ({why})")
    for key, (values, rule, why) in wants.in_.items():
        have = selector.get(key)
        if have is not None and have not in values and not rule.override:
            raise _contradiction(where, f"{spec_path}.nodeSelector.{key}", f"{key}={have}",
                                 rule, f"{key} in ({', '.join(values)}) ({why})")
    pinned = wants.node_selector.get(HOSTNAME_LABEL)
    if pinned and work.get("nodeName") and work["nodeName"] != pinned[0]:
        if not pinned[1].override:
            raise _contradiction(where, f"{spec_path}.nodeName", f"nodeName {work['nodeName']}",
                                 pinned[1], f"{HOSTNAME_LABEL}={pinned[0]} ({pinned[2]})")
        del work["nodeName"]
    group = wants.in_.get(HOSTNAME_LABEL)
    if group and work.get("nodeName") and work["nodeName"] not in group[0]:
        if not group[1].override:
            raise _contradiction(where, f"{spec_path}.nodeName", f"nodeName {work['nodeName']}",
                                 group[1], f"{HOSTNAME_LABEL} in ({', '.join(group[0])}) "
                                 f"({group[2]})")
        del work["nodeName"]

    _merge_required_terms(wants, work, spec_path, where)

    if wants.node_selector:
        merged = dict(selector)
        for key, (value, _, _) in wants.node_selector.items():
            merged[key] = value
        for key, (values, rule, _) in wants.not_in.items():
            if merged.get(key) in values:
                del merged[key]
        for key, (values, rule, _) in wants.in_.items():
            if key in merged and merged[key] not in values:
                del merged[key]  # only with override: true, checked above
        work["nodeSelector"] = merged
    elif any(selector.get(k) in v for k, (v, _, _) in wants.not_in.items()) or any(
            k in selector and selector[k] not in v for k, (v, _, _) in wants.in_.items()):
        work["nodeSelector"] = {k: v for k, v in selector.items()
                                if not (k in wants.not_in and v in wants.not_in[k][0])
                                and not (k in wants.in_ and v not in wants.in_[k][0])}

    if wants.not_in:
        _add_not_in(wants, work)
    if wants.in_:
        _add_in(wants, work)

    if wants.toleration is not None:
        toleration, taint, _ = wants.toleration
        tolerations = child(work, "tolerations", list)
        if not any(isinstance(t, dict) and scheduler.tolerates(t, taint) for t in tolerations):
            tolerations.append(toleration)

    if decision.zone_spread is not None and decision.zone_spread.value:
        _add_zone_spread(decision.zone_spread.value, doc, work)


def _merge_required_terms(wants: _Wants, work: dict, spec_path: str, where: dict) -> None:
    """A chart's required node affinity must leave at least one term the policy agrees with."""
    node_affinity = (work.get("affinity") or {}).get("nodeAffinity") or {}
    required = node_affinity.get(_REQUIRED) or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms or not (wants.node_selector or wants.not_in or wants.in_):
        return
    conflicts = [_term_conflict(term, wants) for term in terms]
    if not all(conflicts):
        return  # at least one chart term is compatible; the scheduler ANDs it with ours
    expression, rule, policy_says = conflicts[0]
    if not rule.override:
        chart = f"{expression.get('key')} {expression.get('operator')} {expression.get('values') or ''}"
        raise _contradiction(
            where, f"{spec_path}.affinity.nodeAffinity.{_REQUIRED}.nodeSelectorTerms",
            f"required node affinity {chart.strip()} (in every term)", rule, policy_says)
    owned = set(wants.node_selector) | set(wants.not_in) | set(wants.in_)
    kept = []
    for term in terms:
        expressions = [e for e in term.get("matchExpressions") or [] if e.get("key") not in owned]
        term = {**term, "matchExpressions": expressions} if expressions else \
            {k: v for k, v in term.items() if k != "matchExpressions"}
        if term.get("matchExpressions") or term.get("matchFields"):
            kept.append(term)
    if kept:
        required["nodeSelectorTerms"] = kept
    else:
        del node_affinity[_REQUIRED]


def _term_conflict(term: dict, wants: _Wants):
    """(expression, rule, what the policy says) for the first clash in a term, else None."""
    for expression in term.get("matchExpressions") or []:
        key = expression.get("key")
        if key in wants.node_selector:
            value, rule, why = wants.node_selector[key]
            if not scheduler.expression_matches(expression, {key: value}):
                return expression, rule, f"{key}={value} ({why})"
        if key in wants.not_in:
            values, rule, why = wants.not_in[key]
            if expression.get("operator") == "In" and set(expression.get("values") or []) <= values:
                return expression, rule, f"{key} not in ({', '.join(sorted(values))}) ({why})"
        if key in wants.in_:
            values, rule, why = wants.in_[key]
            if not any(scheduler.expression_matches(expression, {key: v}) for v in values):
                return expression, rule, f"{key} in ({', '.join(values)}) ({why})"
    return None


def _add_not_in(wants: _Wants, work: dict) -> None:
    required = child(child(child(work, "affinity", dict), "nodeAffinity", dict), _REQUIRED, dict)
    terms = child(required, "nodeSelectorTerms", list)
    if not terms:
        terms.append({})
    for term in terms:
        expressions = child(term, "matchExpressions", list)
        for key, (values, _, _) in wants.not_in.items():
            wanted = {"key": key, "operator": "NotIn", "values": sorted(values)}
            if not any(e.get("key") == key and e.get("operator") == "NotIn"
                       and set(e.get("values") or []) >= values for e in expressions):
                expressions.append(wanted)


def _add_in(wants: _Wants, work: dict) -> None:
    """The group's hosts, in every term: a term's other expressions still hold (ANDed)."""
    required = child(child(child(work, "affinity", dict), "nodeAffinity", dict), _REQUIRED, dict)
    terms = child(required, "nodeSelectorTerms", list)
    if not terms:
        terms.append({})
    for term in terms:
        expressions = child(term, "matchExpressions", list)
        for key, (values, _, _) in wants.in_.items():
            if not any(e.get("key") == key and e.get("operator") == "In"
                       and set(e.get("values") or []) <= set(values) for e in expressions):
                expressions.append({"key": key, "operator": "In", "values": list(values)})


def _add_zone_spread(spread: dict, doc: Document, work: dict) -> None:
    if doc.kind not in REPLICATED_KINDS:
        return
    replicas = (doc.obj.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 2:
        return
    constraints = child(work, "topologySpreadConstraints", list)
    if any(c.get("topologyKey") == ZONE_LABEL for c in constraints if isinstance(c, dict)):
        return  # the chart spreads over zones already: its choice stands
    selector = (doc.obj.get("spec") or {}).get("selector") or {}
    if doc.kind != "ReplicationController":
        selector = selector.get("matchLabels") or {}
    if not selector:
        selector = (podtemplate.template_metadata(doc.obj) or {}).get("labels") or {}
    if not selector:
        return  # nothing identifies the replicas to spread
    constraint = {"maxSkew": spread["maxSkew"], "topologyKey": ZONE_LABEL,
                  "whenUnsatisfiable": spread["whenUnsatisfiable"],
                  "labelSelector": {"matchLabels": dict(selector)}}
    if doc.kind == "Deployment":
        # Count only the pods of the current ReplicaSet, so a rollout is spread too.
        constraint["matchLabelKeys"] = ["pod-template-hash"]
    constraints.append(constraint)
