"""Which species, hostname and zone spread the policy gives one workload.

All rules that match a workload are combined field by field; the policy's
default fills the fields no rule sets. Two rules that disagree are an error
naming both, unless exactly one of them says `override: true`. This module
only decides: it never edits a document.
"""
from __future__ import annotations

from dataclasses import dataclass

from postrender.errors import ConfigError
from postrender.placement.policy import Policy, Rule

ANYWHERE_BUT_DEDICATED = "(anywhere but dedicated nodes)"
_FIELDS = ("target", "hostname", "zone_spread")


@dataclass
class Choice:
    value: object
    rule: Rule


@dataclass
class Decision:
    target: Choice | None = None        # a species name or ANYWHERE_BUT_DEDICATED
    hostname: Choice | None = None      # a node name or policy.FROM_ANNOTATION
    zone_spread: Choice | None = None   # a spread dict, or False


def _value(rule: Rule, field: str):
    if field == "target":
        if rule.species is not None:
            return rule.species
        return ANYWHERE_BUT_DEDICATED if rule.anywhere_but_dedicated else None
    return getattr(rule, field)


def _shown(value) -> str:
    if value is False:
        return "off"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def decide(policy: Policy, matched: list[Rule], where: dict) -> Decision:
    """Combine the matched rules (in policy order) and the default into one Decision."""
    decision = Decision()
    for field in _FIELDS:
        chosen: Choice | None = None
        for rule in matched:
            value = _value(rule, field)
            if value is None:
                continue
            if chosen is None or (chosen.value == value and rule.override):
                chosen = Choice(value, rule)
            elif chosen.value == value:
                continue
            elif rule.override and not chosen.rule.override:
                chosen = Choice(value, rule)
            elif chosen.rule.override and not rule.override:
                continue
            else:
                label = {"target": "species", "hostname": "hostname",
                         "zone_spread": "zoneSpread"}[field]
                raise ConfigError(
                    f"placement rules disagree on {label}: {chosen.rule.where} gives "
                    f"{_shown(chosen.value)}, {rule.where} gives {_shown(value)}; "
                    "add override: true to the one that should win", **where)
        if chosen is None and policy.default is not None:
            value = _value(policy.default, field)
            if value is not None:
                chosen = Choice(value, policy.default)
        setattr(decision, field, chosen)
    return decision
