"""Kubernetes label selectors: parse the kubectl string syntax, validate, match.

The policy selects workloads with the same selector language as
`kubectl get -l`: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`,
`!a`, joined by commas (all must hold). Parsing never guesses: any syntax
kubectl would refuse is a `SelectorError` with the offending position.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Label keys and values as the API server validates them (apimachinery validation).
_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_KEY = re.compile(rf"^(?:(?:{_DNS_LABEL})(?:\.{_DNS_LABEL})*/)?{_NAME}$")
_VALUE = re.compile(rf"^(?:{_NAME})?$")

_TOKEN = re.compile(r"\s*(?:(?P<op>==|!=|=|\(|\)|,|!)|(?P<word>[^\s=!(),]+))")


class SelectorError(ValueError):
    """A selector kubectl would refuse; the message says where and why."""


def label_key_problem(key: object) -> str | None:
    """Why `key` is not a valid label key, or None when it is."""
    if not isinstance(key, str) or not key:
        return "a label key must be a non-empty string"
    prefix, _, _ = key.rpartition("/")
    if len(prefix) > 253 or not _KEY.match(key):
        return (f"{key!r} is not a valid label key (an optional DNS prefix and '/', then "
                "at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric)")
    return None


def label_value_problem(value: object) -> str | None:
    """Why `value` is not a valid label value, or None when it is."""
    if not isinstance(value, str):
        return f"a label value must be a string, not {type(value).__name__} ({value!r})"
    if not _VALUE.match(value):
        return (f"{value!r} is not a valid label value (at most 63 letters, digits, '-', '_' "
                "or '.', starting and ending alphanumeric)")
    return None


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str            # In, NotIn, Exists, DoesNotExist
    values: tuple[str, ...] = ()

    def matches(self, labels: dict) -> bool:
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        present = self.key in labels and labels[self.key] in self.values
        return present if self.operator == "In" else not present


@dataclass(frozen=True)
class Selector:
    requirements: tuple[Requirement, ...]
    text: str

    def matches(self, labels: dict) -> bool:
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return self.text


def from_labels(labels: dict) -> Selector:
    """An equality selector from a mapping (matchLabels); validated."""
    if not isinstance(labels, dict):
        raise SelectorError(f"expected a mapping of label key to value, not {type(labels).__name__}")
    requirements = []
    for key, value in labels.items():
        problem = label_key_problem(key) or label_value_problem(value)
        if problem:
            raise SelectorError(problem)
        requirements.append(Requirement(key, "In", (value,)))
    text = ",".join(f"{k}={v}" for k, v in labels.items())
    return Selector(tuple(requirements), text)


def parse(text: str) -> Selector:
    """Parse kubectl selector syntax. The empty string selects everything."""
    if not isinstance(text, str):
        raise SelectorError(f"a selector is a string, not {type(text).__name__}")
    tokens = _tokenize(text)
    requirements: list[Requirement] = []
    pos = 0

    def peek() -> tuple[str, str, int] | None:
        return tokens[pos] if pos < len(tokens) else None

    def expect_word(what: str) -> tuple[str, int]:
        nonlocal pos
        token = peek()
        if token is None or token[0] != "word":
            found = "the end" if token is None else repr(token[1])
            at = len(text) if token is None else token[2]
            raise SelectorError(f"expected {what} at column {at + 1} of {text!r}, found {found}")
        pos += 1
        return token[1], token[2]

    if not tokens:
        return Selector((), text)
    while True:
        token = peek()
        negated = token is not None and token[:2] == ("op", "!")
        if negated:
            pos += 1
        key, at = expect_word("a label key")
        problem = label_key_problem(key)
        if problem:
            raise SelectorError(f"{problem}, at column {at + 1} of {text!r}")
        token = peek()
        if negated:
            requirements.append(Requirement(key, "DoesNotExist"))
        elif token is None or token[:2] == ("op", ","):
            requirements.append(Requirement(key, "Exists"))
        elif token[0] == "op" and token[1] in ("=", "==", "!="):
            pos += 1
            value, at = _value(text, tokens, pos)
            pos += 1 if value else 0
            requirements.append(Requirement(key, "NotIn" if token[1] == "!=" else "In", (value,)))
        elif token[0] == "word" and token[1] in ("in", "notin"):
            pos += 1
            values, pos = _value_set(text, tokens, pos)
            requirements.append(Requirement(key, "In" if token[1] == "in" else "NotIn", values))
        else:
            raise SelectorError(f"unexpected {token[1]!r} after {key!r} at column {token[2] + 1} "
                                f"of {text!r} (expected =, ==, !=, in, notin or ',')")
        token = peek()
        if token is None:
            break
        if token[:2] != ("op", ","):
            raise SelectorError(f"expected ',' at column {token[2] + 1} of {text!r}, "
                                f"found {token[1]!r}")
        pos += 1
        if peek() is None:
            raise SelectorError(f"{text!r} ends with ','")
    return Selector(tuple(requirements), text)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SelectorError(f"unexpected {text[pos]!r} at column {pos + 1} of {text!r}")
        kind = "op" if m.group("op") else "word"
        start = m.start(kind)
        tokens.append((kind, m.group(kind), start))
        pos = m.end()
    return tokens


def _value(text, tokens, pos) -> tuple[str, int]:
    """The value after '=' (may be empty: 'a=' selects a="")."""
    if pos >= len(tokens) or tokens[pos][:2] == ("op", ","):
        return "", pos
    kind, word, at = tokens[pos]
    if kind != "word":
        raise SelectorError(f"expected a label value at column {at + 1} of {text!r}, found {word!r}")
    problem = label_value_problem(word)
    if problem:
        raise SelectorError(f"{problem}, at column {at + 1} of {text!r}")
    return word, at


def _value_set(text, tokens, pos) -> tuple[tuple[str, ...], int]:
    if pos >= len(tokens) or tokens[pos][:2] != ("op", "("):
        at = tokens[pos][2] + 1 if pos < len(tokens) else len(text) + 1
        raise SelectorError(f"expected '(' at column {at} of {text!r}")
    pos += 1
    values: list[str] = []
    while True:
        if pos >= len(tokens):
            raise SelectorError(f"unclosed '(' in {text!r}")
        kind, word, at = tokens[pos]
        if kind == "word":
            problem = label_value_problem(word)
            if problem:
                raise SelectorError(f"{problem}, at column {at + 1} of {text!r}")
            values.append(word)
            pos += 1
            if pos >= len(tokens):
                raise SelectorError(f"unclosed '(' in {text!r}")
            kind, word, at = tokens[pos]
        if (kind, word) == ("op", ")"):
            pos += 1
            break
        if (kind, word) != ("op", ","):
            raise SelectorError(f"unexpected {word!r} at column {at + 1} of {text!r} in a value set")
        pos += 1
    if not values:
        raise SelectorError(f"empty value set in {text!r}")
    return tuple(values), pos
