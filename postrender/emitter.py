"""Block-style YAML text for a changed manifest, written directly from the object.

Covers the JSON-like shapes of Kubernetes objects (dict, list, str, int, float,
bool, None) with the layout of PyYAML's block style, several times faster than
PyYAML's representer/serializer/emitter chain. It must never write a scalar that
PyYAML, go-yaml v2 (Helm) or go-yaml v3 (kustomize) could read back as another
value; anything it does not cover raises `Unsupported`, and the caller falls
back to PyYAML.
"""
from __future__ import annotations

import json
import marshal
import math
import re

import yaml

from postrender import yamlio


class Unsupported(Exception):
    """The object holds something this emitter does not write (the caller uses PyYAML)."""


class _Pattern:
    """A regex over text, compiled in two builds: for ASCII-only text (nearly
    every Kubernetes string) without the Unicode ranges, which alone would
    take milliseconds of every run to compile, and the full one on first use.
    `build(non_ascii)` gives the pattern with the non-ASCII ranges it is handed."""

    def __init__(self, build):
        self._build = build
        self._ascii = re.compile(build(""))
        self._full = None

    def _for(self, text: str) -> re.Pattern:
        if text.isascii():
            return self._ascii
        if self._full is None:
            self._full = re.compile(self._build(_NON_ASCII))
        return self._full

    def match(self, text: str):
        return self._for(text).match(text)

    def search(self, text: str):
        return self._for(text).search(text)


# Characters YAML lets stand raw in a scalar on one line, minus the tab (PyYAML
# treats it as special) and everything PyYAML 1.1 reads as a line break
# (\x85, \u2028, \u2029) or strips as a byte order mark (\ufeff).
_NON_ASCII = "\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_ASCII_PRINTABLE = "\x20-\x7e"
_QUOTE_DOUBLE = _Pattern(lambda non_ascii: f"[^{_ASCII_PRINTABLE}{non_ascii}]")


def _ascii_except(excluded: str) -> str:
    return "".join(re.escape(c) for c in map(chr, range(0x21, 0x7f)) if c not in excluded)


# A plain scalar in block context: no indicator first (a '-' only when a
# non-space follows, as in `--config-file=x`), no ': ' or ' #' inside, no
# leading or trailing space, no document marker. Whether the text then reads
# as a string is the resolver's question, asked separately.
_FIRST = _ascii_except(" #,[]{}&*!|>'\"%@`?:-")
_MIDDLE = _ascii_except(":")
_PLAIN = _Pattern(lambda non_ascii: (
    rf"(?!---|\.\.\.)(?:[{_FIRST}{non_ascii}]|-(?=[{_MIDDLE}{non_ascii}]))"
    rf"(?:[{_MIDDLE}{non_ascii}]|:(?! |\Z)| +(?=[^ #]))*\Z"))

# A literal block scalar may also hold tabs; trailing whitespace on a line is
# refused (as PyYAML does) because editors and linters strip it silently.
_NOT_BLOCK = _Pattern(lambda non_ascii: f"[^\n\t{_ASCII_PRINTABLE}{non_ascii}]|[ \t](?:\n|\\Z)")

# Characters JSON leaves raw that YAML's double-quoted style must escape.
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")

# "Would this plain scalar read as something other than a str?" PyYAML's
# implicit resolvers (with and without timestamps) answer for YAML 1.1, keyed by
# first character; yamlio._AMBIGUOUS adds go-yaml v2's y/n and YAML 1.2 numbers.
_RESOLVERS: dict[str, list] = {}
for _table in (yaml.resolver.Resolver.yaml_implicit_resolvers,
               yamlio.Loader.yaml_implicit_resolvers):
    for _first, _rules in _table.items():
        _RESOLVERS.setdefault(_first, []).extend(rx for _, rx in _rules)
_AMBIGUOUS = yamlio._AMBIGUOUS

_CACHE_LIMIT = 100_000
_scalars: dict[str, str] = {}  # single-line text of a str value, by the value
_keys: dict[str, str] = {}     # "key:" by the str key
# The text of a sequence under a mapping key, by its value (marshal: exact
# types, order kept) and indent. Workloads of one template repeat their
# containers, volumes and tolerations in every document.
_sequences: dict[tuple[bytes, str], str] = {}


def _reads_as_other_type(text: str) -> bool:
    for rx in _RESOLVERS.get(text[0], ()):
        if rx.match(text):
            return True
    return _AMBIGUOUS.match(text) is not None


def _double_quoted(text: str) -> str:
    # JSON's escapes (\" \\ \b \f \n \r \t \uXXXX) are all YAML escapes too.
    quoted = json.dumps(text, ensure_ascii=False)
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04X}", quoted)


def _inline(text: str) -> str:
    """A str as a scalar on one line: plain, single- or double-quoted."""
    if text and _PLAIN.match(text) and not _reads_as_other_type(text):
        return text
    if _QUOTE_DOUBLE.search(text) is None:
        return "'" + text.replace("'", "''") + "'"
    return _double_quoted(text)


def _str_value(text: str, pad: str) -> str:
    """A str value after 'key: ' or '- ', including its line break(s).

    `pad` is the indentation of the block scalar's content.
    """
    inline = _scalars.get(text)
    if inline is not None:
        return inline
    if "\n" not in text or _NOT_BLOCK.search(text) or not text.strip("\n"):
        inline = _inline(text) + "\n"
        if len(text) < 256:
            if len(_scalars) > _CACHE_LIMIT:
                _scalars.clear()
            _scalars[text] = inline
        return inline
    # Literal block: an explicit indentation when the content starts with
    # whitespace or an empty line (auto-detection would misread it), and the
    # chomping that gives back exactly the trailing line breaks.
    header = "|2" if text[0] in " \t\n" else "|"
    if text[-1] != "\n":
        header += "-"
        body = text
    elif text[-2] == "\n":
        header += "+"
        body = text[:-1]
    else:
        body = text[:-1]
    lines = [pad + line if line else line for line in body.split("\n")]
    return header + "\n" + "\n".join(lines) + "\n"


def _float(value: float) -> str:
    if value != value:
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "." not in text and "e" in text:  # 1e+16: YAML 1.1 floats need a dot
        text = text.replace("e", ".0e", 1)
    return text


def _key(key) -> str:
    kind = type(key)
    if kind is str:
        text = _keys.get(key)
        if text is None:
            text = _inline(key)
            if len(text) > 120:  # PyYAML would write an explicit '? ' key
                raise Unsupported(f"key of {len(text)} characters")
            if len(_keys) > _CACHE_LIMIT:
                _keys.clear()
            text = _keys[key] = text + ":"
        return text
    if kind in (bool, int, float) or key is None:
        return _scalar(key)[:-1] + ":"  # a plain scalar key reads as what it wrote as a value
    raise Unsupported(f"key of type {kind.__name__}")


def _scalar(value) -> str:
    kind = type(value)
    if kind is bool:
        return "true\n" if value else "false\n"
    if kind is int:
        return f"{value}\n"
    if value is None:
        return "null\n"
    if kind is float:
        return _float(value) + "\n"
    raise Unsupported(f"value of type {kind.__name__}")


def _mapping(mapping: dict, lead: str, indent: str, out: list) -> None:
    """Write a non-empty mapping; `lead` prefixes its first line, `indent` the others."""
    prefix = lead
    pad = indent + "  "
    append = out.append
    keys, scalars = _keys, _scalars  # a cache hit skips a call: most keys and values repeat
    for key, value in mapping.items():
        name = keys.get(key) or _key(key)
        kind = type(value)
        if kind is str:
            append(f"{prefix}{name} {scalars.get(value) or _str_value(value, pad)}")
        elif kind is dict:
            if value:
                append(f"{prefix}{name}\n")
                _mapping(value, pad, pad, out)
            else:
                append(f"{prefix}{name} {{}}\n")
        elif kind is list:
            if value:
                append(f"{prefix}{name}\n")
                # Kubernetes style: the '- ' of a sequence in a mapping at the key's column.
                _known_sequence(value, indent, out)
            else:
                append(f"{prefix}{name} []\n")
        else:
            append(f"{prefix}{name} {_scalar(value)}")
        prefix = indent


def _known_sequence(sequence: list, indent: str, out: list) -> None:
    """_sequence(sequence, indent, indent, out), written once per value and indent."""
    try:
        key = (marshal.dumps(sequence), indent)
    except ValueError:  # a type marshal cannot write: this emitter refuses it anyway
        _sequence(sequence, indent, indent, out)
        return
    text = _sequences.get(key)
    if text is None:
        mark = len(out)
        _sequence(sequence, indent, indent, out)
        text = "".join(out[mark:])
        del out[mark:]
        if len(_sequences) > _CACHE_LIMIT // 10:
            _sequences.clear()
        _sequences[key] = text
    out.append(text)


def _sequence(sequence: list, lead: str, indent: str, out: list) -> None:
    """Write a non-empty sequence whose '- ' sit at the column of `indent`."""
    dash = lead + "- "
    pad = indent + "  "
    append = out.append
    scalars = _scalars
    for item in sequence:
        kind = type(item)
        if kind is str:
            append(f"{dash}{scalars.get(item) or _str_value(item, pad)}")
        elif kind is dict:
            if item:
                _mapping(item, dash, pad, out)
            else:
                append(f"{dash}{{}}\n")
        elif kind is list:
            if item:
                _sequence(item, dash, pad, out)
            else:
                append(f"{dash}[]\n")
        else:
            append(f"{dash}{_scalar(item)}")
        dash = indent + "- "


def emit(obj) -> str:
    """One document's YAML text (a dict or list at the top), ending in a line break.

    Raises Unsupported for anything else, including values of other types.
    """
    out: list[str] = []
    kind = type(obj)
    try:
        if kind is dict:
            if not obj:
                return "{}\n"
            _mapping(obj, "", "", out)
        elif kind is list:
            if not obj:
                return "[]\n"
            _sequence(obj, "", "", out)
        else:
            raise Unsupported(f"document of type {kind.__name__}")
    except RecursionError:
        raise Unsupported("nesting too deep") from None
    text = "".join(out)
    if text.endswith("\n\n"):
        # The document ends in a keep-chomped block scalar: an explicit end
        # marker keeps its trailing empty lines from being taken for separator
        # whitespace (Helm's manifest splitter, rstrip), as PyYAML does.
        text += "...\n"
    return text
