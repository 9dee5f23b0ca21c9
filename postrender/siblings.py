"""A document parsed from a sibling: the same lines but for a few one-line scalars.

A chart that renders one workload per node group writes dozens of documents
that differ only in a name, a label, a checksum and a host list. libyaml
builds each one's whole node tree; a sibling costs a line comparison and a
copy of the parsed one's object with those scalars replaced. Only what
provably parses the same is taken this way: every differing line must hold,
in the parsed document, a scalar value that fills the rest of the line, and
its new text must be a plain scalar that resolves to a string or a quoted
string without escapes. Anything else returns None: parse it in full.
"""
from __future__ import annotations

import marshal
import re
import sys

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from postrender import yamlio

_KIND = re.compile(r"^kind:[^\n]*", re.M)
# A plain scalar that cannot start or contain YAML structure, on one line.
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./@+=,-]*\Z")


class _Parsed:
    """A document parsed in full: its lines, node tree, object, and its string value lines."""

    __slots__ = ("lines", "node", "obj", "frozen", "scalars")

    def __init__(self, lines: list[str], node, obj):
        self.lines, self.node, self.obj = lines, node, obj
        self.frozen: bytes | None = None
        self.scalars: dict[int, tuple[tuple, int]] | None = None  # line -> (path, column)


class Siblings:
    """The documents parsed in full so far in one process, the latest of each shape
    (kind line, line count)."""

    def __init__(self):
        self._parsed: dict[tuple[str, int], _Parsed] = {}
        self._resolver = None

    def parse(self, chunk: str):
        """The object of `chunk` derived from a parsed sibling, or None."""
        lines = chunk.split("\n")
        kind = _KIND.search(chunk)
        parsed = self._parsed.get((kind.group() if kind else "", len(lines)))
        if parsed is None:
            return None
        changed = [i for i, (old, new) in enumerate(zip(parsed.lines, lines)) if old is not new
                   and old != new]
        if parsed.scalars is None:
            parsed.scalars = _scalar_lines(parsed.node, parsed.lines)
        replacements = []
        for i in changed:
            found = parsed.scalars.get(i)
            if found is None:
                return None
            path, column = found
            old, new = parsed.lines[i], lines[i]
            if new[:column] != old[:column]:
                return None
            value = self._string(new[column:])
            if value is None:
                return None
            replacements.append((path, sys.intern(value) if yamlio.Loader.interning else value))
        if parsed.frozen is None:
            try:
                parsed.frozen = marshal.dumps(parsed.obj)
            except ValueError:  # a value marshal cannot write: not derived
                return None
        obj = marshal.loads(parsed.frozen)
        for path, value in replacements:
            parent = obj
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = value
        return obj

    def remember(self, chunk: str, node, obj) -> None:
        """`chunk` parsed in full to `node` and `obj`: the sibling of the next ones of its shape.

        The latest, not the first: workloads of one template come one after
        another, and two templates may render documents of one shape.
        """
        lines = chunk.split("\n")
        kind = _KIND.search(chunk)
        self._parsed[(kind.group() if kind else "", len(lines))] = _Parsed(lines, node, obj)

    def _string(self, text: str):
        """The string a one-line scalar text stands for, or None when that is not certain."""
        if len(text) >= 2 and text[0] == text[-1] == '"':
            inner = text[1:-1]
            return inner if '"' not in inner and "\\" not in inner else None
        if len(text) >= 2 and text[0] == text[-1] == "'":
            inner = text[1:-1]
            return inner if "'" not in inner else None
        if not _PLAIN.match(text):
            return None
        if self._resolver is None:
            self._resolver = yamlio.Loader("")
        tag = self._resolver.resolve(ScalarNode, text, (True, False))
        return text if tag == yamlio.STR else None


def _scalar_lines(root, lines: list[str]) -> dict[int, tuple[tuple, int]]:
    """{line: (path, column)} of the string values that fill the rest of their line."""
    out: dict[int, tuple[tuple, int]] = {}
    stack = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, MappingNode):
            children = []
            for key, value in node.value:
                if not isinstance(key, ScalarNode) or key.tag != yamlio.STR:
                    break
                children.append((value, (*path, key.value)))
            else:
                stack.extend(children)
        elif isinstance(node, SequenceNode):
            stack.extend((child, (*path, i)) for i, child in enumerate(node.value))
        elif node.tag == yamlio.STR and node.style in (None, "", '"', "'"):
            start, end = node.start_mark, node.end_mark
            line = start.line
            if end.line == line and end.column == len(lines[line]) and path:
                out[line] = (path, start.column)
    return out
