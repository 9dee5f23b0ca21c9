"""The placement policy: load a region's placement.yaml and what it includes, validate it.

A policy names species (node labels that select a species' nodes, and the
taint that dedicates them) and rules that map workloads to a species. Every
mistake is a ConfigError naming the file and the field path; this module
reads files only through OverlayDir and knows nothing about documents.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path


from postrender import podtemplate, yamlio
from postrender.errors import ConfigError
from postrender.overlaydir import OverlayDir
from postrender.placement import selector
from postrender.placement.selector import SelectorError

POLICY_FILE = "placement.yaml"
FROM_ANNOTATION = "fromAnnotation"
HOSTNAME_ANNOTATION = "placement.openstack-helm.org/hostname"
TAINT_EFFECTS = ("NoSchedule", "NoExecute", "PreferNoSchedule")
SPREAD_WHEN = ("ScheduleAnyway", "DoNotSchedule")
MAX_INCLUDE_DEPTH = 16

_TOP_KEYS = ("include", "species", "rules", "default")
_SPECIES_KEYS = ("nodeLabels", "taint", "override")
_TAINT_KEYS = ("key", "value", "effect")
_MATCH_KEYS = ("kinds", "name", "namespace", "labels")
_PLACE_KEYS = ("species", "anywhereButDedicated", "hostname", "zoneSpread")
_RULE_KEYS = ("name", "match", *_PLACE_KEYS, "override", "optional")
_SPREAD_KEYS = ("maxSkew", "whenUnsatisfiable")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass
class Species:
    name: str
    node_labels: dict[str, str]
    taint: dict | None           # set when the species' nodes are dedicated to it
    file: str                    # "placement/base.yaml"
    field: str                   # "species.hypervisor"
    override: bool = False

    @property
    def where(self) -> str:
        return f"{self.file}: {self.field}"

    @property
    def dedicated(self) -> bool:
        return self.taint is not None and self.taint["effect"] in ("NoSchedule", "NoExecute")

    def toleration(self) -> dict | None:
        if self.taint is None:
            return None
        return {"key": self.taint["key"], "operator": "Equal", "value": self.taint["value"],
                "effect": self.taint["effect"]}


@dataclass
class Rule:
    """One rule, or the policy's default (name 'default', no match)."""

    name: str
    file: str                    # "overlays/x/placement.yaml"
    field: str                   # "rules[2]"
    kinds: frozenset[str] | None = None
    names: tuple[str, ...] | None = None
    namespaces: tuple[str, ...] | None = None
    labels: selector.Selector | None = None
    species: str | None = None
    anywhere_but_dedicated: bool | None = None
    hostname: str | None = None
    zone_spread: dict | bool | None = None      # None: unset; False: switched off
    override: bool = False
    optional: bool = False

    @property
    def where(self) -> str:
        named = "" if self.field == "default" else f" ({self.name})"
        return f"{self.file}: {self.field}{named}"

    def matches(self, kind: str, name: str, namespace: str, labels: dict) -> bool:
        # Cheapest first: most rules select by labels, which rule out most workloads.
        if self.kinds is not None and kind not in self.kinds:
            return False
        if self.labels is not None and not self.labels.matches(labels):
            return False
        if self.names is not None and not any(fnmatch.fnmatchcase(name, g) for g in self.names):
            return False
        return self.namespaces is None or any(
            fnmatch.fnmatchcase(namespace, g) for g in self.namespaces)


@dataclass
class Policy:
    file: str
    species: dict[str, Species] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    default: Rule | None = None

    def dedicated_species(self) -> list[Species]:
        return [s for s in self.species.values() if s.dedicated]


def load(overlay_dir: OverlayDir) -> Policy | None:
    """The region's policy, or None when the overlay has no placement.yaml."""
    path = overlay_dir.file(POLICY_FILE)
    if path is None:
        return None
    policy = Policy(file=overlay_dir.display(path))
    _load_file(overlay_dir, path, policy, chain=())
    _check_references(policy)
    return policy


def _load_file(overlay_dir: OverlayDir, path: Path, policy: Policy, chain: tuple[Path, ...]):
    shown = overlay_dir.display(path)
    real = path.resolve()
    if real in chain:
        cycle = " -> ".join(overlay_dir.display(p) for p in (*chain, real))
        raise ConfigError(f"include cycle: {cycle}", file=shown, field="include")
    if len(chain) >= MAX_INCLUDE_DEPTH:
        raise ConfigError(f"includes nested deeper than {MAX_INCLUDE_DEPTH}", file=shown)
    text = overlay_dir.read_text(path)
    data = yamlio.load_file(text, file=shown)
    if data is None:
        data = {}
    _mapping(data, shown, "(top level)", _TOP_KEYS)

    for i, ref in enumerate(_list(data.get("include") or [], shown, "include")):
        if not isinstance(ref, str) or not ref:
            raise ConfigError("must be a relative file path", file=shown, field=f"include[{i}]")
        included = overlay_dir.resolve(ref, base=path.parent, referrer=shown)
        if not included.is_file():
            raise ConfigError(f"{ref!r} does not exist ({overlay_dir.display(included)})",
                              file=shown, field=f"include[{i}]")
        _load_file(overlay_dir, included, policy, (*chain, real))

    species = data.get("species") or {}
    _mapping(species, shown, "species")
    for name, spec in species.items():
        _add_species(policy, _species(name, spec, shown))

    for i, raw in enumerate(_list(data.get("rules") or [], shown, "rules")):
        _add_rule(policy, _rule(raw, shown, f"rules[{i}]"))

    if "default" in data:
        default = _rule(data["default"], shown, "default", is_default=True)
        policy.default = _layer_default(policy.default, default)


def _species(name, spec, shown) -> Species:
    where = f"species.{name}"
    if not isinstance(name, str) or not _DNS_SUBDOMAIN.match(name):
        raise ConfigError(f"species name {name!r} must be a lowercase DNS name",
                          file=shown, field=where)
    _mapping(spec, shown, where, _SPECIES_KEYS)
    labels = spec.get("nodeLabels")
    if not isinstance(labels, dict) or not labels:
        raise ConfigError("required: a non-empty mapping of node label to value",
                          file=shown, field=f"{where}.nodeLabels")
    for key, value in labels.items():
        problem = selector.label_key_problem(key) or selector.label_value_problem(value)
        if problem:
            raise ConfigError(problem, file=shown, field=f"{where}.nodeLabels.{key}")
    taint = spec.get("taint")
    if taint is not None:
        _mapping(taint, shown, f"{where}.taint", _TAINT_KEYS)
        problem = selector.label_key_problem(taint.get("key"))
        if problem:
            raise ConfigError(problem, file=shown, field=f"{where}.taint.key")
        value = taint.get("value", "")
        problem = selector.label_value_problem(value)
        if problem:
            raise ConfigError(problem, file=shown, field=f"{where}.taint.value")
        if taint.get("effect") not in TAINT_EFFECTS:
            raise ConfigError(f"must be one of {', '.join(TAINT_EFFECTS)}, not "
                              f"{taint.get('effect')!r}", file=shown, field=f"{where}.taint.effect")
        taint = {"key": taint["key"], "value": value, "effect": taint["effect"]}
    return Species(name, dict(labels), taint, shown, where,
                   _bool(spec.get("override", False), shown, f"{where}.override"))


def _add_species(policy: Policy, species: Species) -> None:
    earlier = policy.species.get(species.name)
    if earlier is not None and not species.override:
        raise ConfigError(f"species {species.name!r} is already defined in {earlier.where}; "
                          "add override: true to redefine it", file=species.file,
                          field=species.field)
    policy.species[species.name] = species


def _rule(raw, shown, where, *, is_default: bool = False) -> Rule:
    allowed = _PLACE_KEYS if is_default else _RULE_KEYS
    _mapping(raw, shown, where, allowed)
    if is_default:
        rule = Rule(name="default", file=shown, field="default")
    else:
        name = raw.get("name")
        if not isinstance(name, str) or not _DNS_SUBDOMAIN.match(name):
            raise ConfigError(f"required: a lowercase DNS name, not {name!r}",
                              file=shown, field=f"{where}.name")
        rule = Rule(name=name, file=shown, field=where)
        _match(rule, raw.get("match") or {}, shown, f"{where}.match")
        rule.override = _bool(raw.get("override", False), shown, f"{where}.override")
        rule.optional = _bool(raw.get("optional", False), shown, f"{where}.optional")

    if "species" in raw:
        if not isinstance(raw["species"], str):
            raise ConfigError("must be a species name", file=shown, field=f"{where}.species")
        rule.species = raw["species"]
    if "anywhereButDedicated" in raw:
        rule.anywhere_but_dedicated = _bool(raw["anywhereButDedicated"], shown,
                                            f"{where}.anywhereButDedicated")
        if rule.species is not None and rule.anywhere_but_dedicated:
            raise ConfigError("species and anywhereButDedicated: true exclude each other",
                              file=shown, field=where)
    if "hostname" in raw:
        hostname = raw["hostname"]
        if not isinstance(hostname, str) or not (
                hostname == FROM_ANNOTATION or (_DNS_SUBDOMAIN.match(hostname) and len(hostname) <= 253)):
            raise ConfigError(f"must be a node name (a lowercase DNS name) or {FROM_ANNOTATION!r} "
                              f"(use the workload's {HOSTNAME_ANNOTATION} annotation), "
                              f"not {hostname!r}", file=shown, field=f"{where}.hostname")
        rule.hostname = hostname
    if "zoneSpread" in raw:
        rule.zone_spread = _zone_spread(raw["zoneSpread"], shown, f"{where}.zoneSpread")
    return rule


def _match(rule: Rule, match, shown, where) -> None:
    _mapping(match, shown, where, _MATCH_KEYS)
    if "kinds" in match:
        kinds = _list(match["kinds"], shown, f"{where}.kinds")
        for i, kind in enumerate(kinds):
            if kind not in podtemplate.TEMPLATE_PATHS:
                raise ConfigError(f"{kind!r} is not a kind with a pod template (one of "
                                  f"{', '.join(podtemplate.TEMPLATE_PATHS)})",
                                  file=shown, field=f"{where}.kinds[{i}]")
        rule.kinds = frozenset(kinds)
    for key, attr in (("name", "names"), ("namespace", "namespaces")):
        if key in match:
            value = match[key]
            globs = [value] if isinstance(value, str) else _list(value, shown, f"{where}.{key}")
            if not globs or not all(isinstance(g, str) and g for g in globs):
                raise ConfigError("must be a glob or a non-empty list of globs",
                                  file=shown, field=f"{where}.{key}")
            setattr(rule, attr, tuple(globs))
    if "labels" in match:
        labels = match["labels"]
        try:
            rule.labels = (selector.from_labels(labels) if isinstance(labels, dict)
                           else selector.parse(labels))
        except SelectorError as err:
            raise ConfigError(f"invalid label selector: {err}", file=shown,
                              field=f"{where}.labels") from None


def _zone_spread(value, shown, where) -> dict | bool:
    if value is False:
        return False
    spread = {"maxSkew": 1, "whenUnsatisfiable": "ScheduleAnyway"}
    if value is True:
        return spread
    _mapping(value, shown, where, _SPREAD_KEYS)
    skew = value.get("maxSkew", 1)
    if not isinstance(skew, int) or isinstance(skew, bool) or skew < 1:
        raise ConfigError(f"must be an integer >= 1, not {skew!r}", file=shown,
                          field=f"{where}.maxSkew")
    when = value.get("whenUnsatisfiable", "ScheduleAnyway")
    if when not in SPREAD_WHEN:
        raise ConfigError(f"must be one of {', '.join(SPREAD_WHEN)}, not {when!r}", file=shown,
                          field=f"{where}.whenUnsatisfiable")
    return {"maxSkew": skew, "whenUnsatisfiable": when}


def _add_rule(policy: Policy, rule: Rule) -> None:
    for i, earlier in enumerate(policy.rules):
        if earlier.name == rule.name:
            if not rule.override:
                raise ConfigError(f"rule {rule.name!r} is already defined in {earlier.where}; "
                                  "add override: true to replace it", file=rule.file,
                                  field=rule.field)
            policy.rules[i] = rule
            return
    policy.rules.append(rule)


def _layer_default(earlier: Rule | None, later: Rule) -> Rule:
    """A later default overrides an earlier one field by field."""
    if earlier is None:
        return later
    merged = Rule(name="default", file=later.file, field="default")
    for attr in ("species", "anywhere_but_dedicated", "hostname", "zone_spread"):
        value = getattr(later, attr)
        setattr(merged, attr, value if value is not None else getattr(earlier, attr))
    if later.species is not None:
        merged.anywhere_but_dedicated = None
    elif later.anywhere_but_dedicated:
        merged.species = None
    return merged


def _check_references(policy: Policy) -> None:
    known = ", ".join(sorted(policy.species)) or "none defined"
    for rule in [*policy.rules, *([policy.default] if policy.default else [])]:
        if rule.species is not None and rule.species not in policy.species:
            raise ConfigError(f"unknown species {rule.species!r} (known: {known})",
                              file=rule.file, field=f"{rule.field}.species")


def _mapping(value, shown, where, allowed=None) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"must be a mapping, not {type(value).__name__}", file=shown, field=where)
    if allowed is not None:
        unknown = [k for k in value if k not in allowed]
        if unknown:
            raise ConfigError(f"unknown key {unknown[0]!r} (allowed: {', '.join(allowed)})",
                              file=shown, field=where)


def _list(value, shown, where) -> list:
    if not isinstance(value, list):
        raise ConfigError(f"must be a list, not {type(value).__name__}", file=shown, field=where)
    return value


def _bool(value, shown, where) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"must be true or false, not {value!r}", file=shown, field=where)
    return value
