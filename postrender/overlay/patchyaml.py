"""How kustomize reads the YAML of patches and resource files, for PyYAML.

kustomize reads strategic merge patches and resource files with go-yaml v3
(YAML 1.2: `yes`, `on`, `y` are strings, `0o17` is 15, no sexagesimal), and
JSON 6902 patches with go-yaml v2 (YAML 1.1 plus `y`/`n` as booleans). These
loaders give the same values; they never read the Helm stream itself.
"""
from __future__ import annotations

import re

import yaml

from postrender import yamlio

BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
NULL = "tag:yaml.org,2002:null"

_INT = re.compile(r"""^(?:[-+]?0b[0-1_]+|[-+]?0o[0-7_]+|[-+]?0x[0-9a-fA-F_]+
    |[-+]?[0-9][0-9_]*)$""", re.X)
_FLOAT = re.compile(r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", re.X)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_12 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_BOOL_11 = re.compile(r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE
    |on|On|ON|off|Off|OFF)$""", re.X)
_TRUE = {"y", "yes", "true", "on"}


def _int(loader, node) -> int:
    text = loader.construct_scalar(node).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits, 8)
    return sign * int(digits)


def _bool(loader, node) -> bool:
    return loader.construct_scalar(node).lower() in _TRUE


def _loader(name: str, bool_pattern: re.Pattern) -> type:
    # PyYAML's own resolution, not yamlio's memo: that one is shared by its subclasses.
    cls = type(name, (yamlio.Loader,), {"resolve": yaml.resolver.BaseResolver.resolve})
    cls.yaml_implicit_resolvers = {}
    cls.add_implicit_resolver(BOOL, bool_pattern, list("yYnNtTfFoO"))
    cls.add_implicit_resolver(INT, _INT, list("-+0123456789"))
    cls.add_implicit_resolver(FLOAT, _FLOAT, list("-+0123456789."))
    cls.add_implicit_resolver(NULL, _NULL, ["~", "n", "N", ""])
    cls.add_constructor(INT, _int)
    cls.add_constructor(BOOL, _bool)
    return cls


StrategicLoader = _loader("StrategicLoader", _BOOL_12)   # go-yaml v3
JsonPatchLoader = _loader("JsonPatchLoader", _BOOL_11)   # go-yaml v2 (sigs.k8s.io/yaml)


def load_all(text: str, loader: type) -> list:
    return [d for d in yaml.load_all(text, Loader=loader) if d is not None]
