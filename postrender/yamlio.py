"""YAML loading and dumping with the semantics Kubernetes gives manifests.

Loading: libyaml's C parser when present, duplicate keys rejected, dates kept
as strings (the API server never sees a timestamp type). Dumping: strings that
any YAML reader on the way (PyYAML, go-yaml v2 in Helm, go-yaml v3 in
kustomize) could read as another type are quoted, and multi-line strings are
written as block scalars where YAML allows it.
"""
from __future__ import annotations

import re
import sys

import yaml
from yaml.nodes import MappingNode, ScalarNode

try:
    _BaseLoader = yaml.CSafeLoader
    _BaseDumper = yaml.CSafeDumper
except AttributeError:  # PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader
    _BaseDumper = yaml.SafeDumper


TIMESTAMP = "tag:yaml.org,2002:timestamp"
STR = "tag:yaml.org,2002:str"


class DuplicateKeyError(yaml.MarkedYAMLError):
    def __init__(self, key, first_mark, mark):
        super().__init__("while constructing a mapping", first_mark,
                         f"found duplicate key {key!r}", mark)
        self.key = key
        self.first_mark = first_mark


class Loader(_BaseLoader):
    """Safe loader that rejects duplicate mapping keys and keeps dates as strings."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            # Fast path: compare the raw key texts; only a clash there needs a closer look.
            try:
                texts = [k.value for k, _ in node.value]
                clash = len(set(texts)) != len(texts)
            except TypeError:  # a non-scalar key
                clash = True
            if clash:
                self._reject_duplicate(node)
        return super().construct_mapping(node, deep=deep)

    def _reject_duplicate(self, node: MappingNode) -> None:
        seen: dict = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                continue
            key = (key_node.tag, self.construct_object(key_node))
            if key in seen:
                raise DuplicateKeyError(key[1], seen[key], key_node.start_mark)
            seen[key] = key_node.start_mark


    # The composer asks the resolver for the tag of every node. With no path
    # resolvers, only a plain scalar's tag depends on anything, namely its
    # text, and most scalars of a stream repeat (keys, labels, images).
    _resolved: dict = {}

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            if not implicit[0]:
                return STR
            cache = Loader._resolved
            tag = cache.get(value)
            if tag is None:
                if len(cache) > 200_000:
                    cache.clear()
                tag = cache[value] = super().resolve(kind, value, implicit)
            return tag
        return MAP if kind is MappingNode else SEQ

    def descend_resolver(self, current_node, current_index):
        pass  # no path resolvers: nothing to track

    def ascend_resolver(self):
        pass

    def construct_tree(self, node):
        """The document's object, built directly from an alias-free node tree.

        PyYAML's generic constructor supports recursive aliases through
        generators; a manifest without anchors needs none of that, and a
        straight recursion is several times faster. Merge keys and tags other
        than the core schema go the generic way.
        """
        self.generic = False
        try:
            return self._build(node)
        except _Generic:
            self.generic = True
            return self.construct_document(node)

    # Set in a child process that parses for another (stream.Parsing): equal
    # strings become one object, which pickle then sends once. Keys and
    # values repeat all over a stream, so the result shrinks by a third and
    # pickles and unpickles two to three times faster.
    interning = False

    def _build(self, node):
        tag = node.tag
        if tag == STR:
            return sys.intern(node.value) if self.interning else node.value
        if tag == MAP:
            result = {}
            for key_node, value_node in node.value:
                if key_node.tag == MERGE:
                    raise _Generic
                key = self._build(key_node)
                try:
                    if key in result:
                        self._reject_duplicate(node)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        "found unhashable key", key_node.start_mark) from None
                result[key] = self._build(value_node)
            return result
        if tag == SEQ:
            return [self._build(child) for child in node.value]
        if tag == NULL:
            return None
        constructor = _SCALARS.get(tag)
        if constructor is None:
            raise _Generic
        return constructor(self, node)


class _Generic(Exception):
    """This node tree needs PyYAML's generic constructor."""


MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
NULL = "tag:yaml.org,2002:null"
MERGE = "tag:yaml.org,2002:merge"
_SCALARS = {
    "tag:yaml.org,2002:int": _BaseLoader.construct_yaml_int,
    "tag:yaml.org,2002:float": _BaseLoader.construct_yaml_float,
    "tag:yaml.org,2002:bool": _BaseLoader.construct_yaml_bool,
}

# A fresh resolver table without the timestamp rule, so "2024-01-01" stays a str.
Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != TIMESTAMP]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


# Plain scalars that some reader on the way would take for a non-string. PyYAML's
# own resolver covers YAML 1.1; this adds go-yaml v2's y/n booleans and YAML 1.2
# forms (0o17, .Inf variants) so that every reader agrees the value is a string.
_AMBIGUOUS = re.compile(r"""^(?:
      [yYnN]
    | 0o[0-7_]+
    | [-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
    | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*
)$""", re.X)


class Dumper(_BaseDumper):
    """Safe dumper: aliases expanded, strings typed unambiguously, text as blocks."""

    def ignore_aliases(self, data):
        return True


def _represent_str(dumper: Dumper, data: str):
    if "\n" in data:
        # The emitter falls back to a quoted style if the text cannot be a block.
        return dumper.represent_scalar(STR, data, style="|")
    if _AMBIGUOUS.match(data):
        return dumper.represent_scalar(STR, data, style="'")
    return dumper.represent_scalar(STR, data)


Dumper.add_representer(str, _represent_str)


def dump(obj) -> str:
    """One document's YAML, without the leading '---'."""
    try:
        return emitter.emit(obj)
    except emitter.Unsupported:
        return dump_pyyaml(obj)


def dump_pyyaml(obj) -> str:
    """`dump` through PyYAML's emitter: any object the safe dumper represents."""
    return yaml.dump(obj, Dumper=Dumper, default_flow_style=False, sort_keys=False,
                     allow_unicode=True, width=1 << 20)


def describe(err: yaml.YAMLError, first_line: int = 1) -> tuple[str, int | None, int | None]:
    """(reason, line, column) of a YAML error, lines counted from `first_line`."""
    if not isinstance(err, yaml.MarkedYAMLError):
        return f"invalid YAML: {err}", None, None
    mark = err.problem_mark or err.context_mark
    if isinstance(err, DuplicateKeyError):
        reason = f"duplicate key {err.key!r} (first at line {first_line + err.first_mark.line})"
    else:
        reason = f"invalid YAML: {err.problem or err.context}"
    if mark is None:
        return reason, None, None
    return reason, first_line + mark.line, mark.column + 1


def load_file(text: str, *, file: str, error=None):
    """One YAML document of a file the operator wrote, or `error` (ConfigError) naming
    the file, line and column: a config file with a typo is never a traceback."""
    from postrender.errors import ConfigError

    try:
        return load(text)
    except yaml.YAMLError as err:
        reason, line, column = describe(err)
        raise (error or ConfigError)(reason, file=file, line=line, column=column) from None
    except RecursionError:
        raise (error or ConfigError)("YAML nested too deeply", file=file) from None


def load(text: str):
    """Parse a single YAML document from small, local text (config files)."""
    loader = Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


# The direct emitter reads this module's resolver table and _AMBIGUOUS, so it
# is imported once they exist.
from postrender import emitter  # noqa: E402
