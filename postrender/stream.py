"""Split, parse and emit the multi-document manifest stream Helm writes.

The stream is cut at document markers, each document is parsed on its own
(libyaml; a large stream's tail by forked children, see `Parsing`), and the
emitter writes a document's original text back unless a stage touched it.
Nothing here decides what to change: it only guarantees that what goes in
comes out, in order, with Helm's bookkeeping intact.
"""
from __future__ import annotations

import gc
import os
import re

import yaml
from yaml.nodes import MappingNode, SequenceNode

from postrender import forked, yamlio
from postrender.document import HELM4_FILENAME, Document
from postrender.errors import InputError
from postrender.siblings import Siblings

STDIN = "<stdin>"

# '---' or '...' at column 0, alone or followed by a space: YAML forbids these
# at column 0 inside any scalar, so they always delimit documents. '%' starts a
# directive, which belongs to the document after it. The pattern starts with the
# line break before the marker: a literal first character lets the regex engine
# skip to candidates instead of trying every position of a multi-megabyte stream.
_MARKER_LINE = r"(?:(---|\.\.\.)(?:[ \t][^\n]*)?|%[^\n]*)(?=\n|\Z)"
_MARKER = re.compile("\n" + _MARKER_LINE)
_FIRST_MARKER = re.compile(_MARKER_LINE)
_SOURCE = re.compile(r"^# Source: (.+)$", re.M)
_FILENAME = re.compile(r"^\s*" + re.escape(HELM4_FILENAME) + r":\s*['\"]?([^'\"\n]+)", re.M)
# An anchor is needed for any alias; most documents have none and skip the bound check.
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s]")

# Alias expansion bound: a document may expand to at most this many nodes.
MAX_EXPANDED_NODES = 1_000_000


def decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise InputError(f"not UTF-8: byte 0x{data[err.start]:02x} at offset {err.start}",
                         file=STDIN, line=line, column=column) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _markers(text: str):
    """(start, end, '---' | '...' | None for a directive) for each marker line.

    `end` includes the line break after the marker.
    """
    match = _FIRST_MARKER.match(text)
    if match:
        yield 0, _line_end(text, match.end()), match.group(1)
    for match in _MARKER.finditer(text):
        yield match.start() + 1, _line_end(text, match.end()), match.group(1)


def _line_end(text: str, end: int) -> int:
    return end + 1 if text.startswith("\n", end) else end


def _chunks(text: str):
    """Yield (start line, text) for each document, markers included."""
    start = 0
    line = 1
    pending_directive = False
    for marker_start, marker_end, kind in _markers(text):
        if kind == "...":
            # The end marker closes the current document; the text after it is a new one.
            yield line, text[start:marker_end]
            line += text.count("\n", start, marker_end)
            start = marker_end
            pending_directive = False
            continue
        if marker_start > start and not pending_directive:
            yield line, text[start:marker_start]
            line += text.count("\n", start, marker_start)
            start = marker_start
        pending_directive = kind is None
    if start < len(text):
        yield line, text[start:]


def _header(body: str) -> str:
    """The comment and blank lines before the first content line of a document."""
    kept = []
    position = 0
    while position < len(body):
        end = body.find("\n", position) + 1 or len(body)
        line = body[position:end]
        position = end
        if line.startswith(("---", "%")):
            continue
        stripped = line.lstrip()
        if stripped and not stripped.startswith("#"):
            break
        kept.append(line)
    return "".join(kept)


def _expanded_size(root) -> int:
    """Node count once every alias is expanded; memoised so bombs stay cheap."""
    sizes: dict[int, int] = {}

    def size(node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        sizes[key] = 1  # guards against recursive aliases
        if isinstance(node, SequenceNode):
            total = 1 + sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            total = 1
        total = min(total, MAX_EXPANDED_NODES + 1)
        sizes[key] = total
        return total

    return size(root)


def _file_hint(chunk: str) -> str:
    m = _SOURCE.search(chunk) or _FILENAME.search(chunk)
    return m.group(1).strip() if m else STDIN


def _parse(chunk: str, first_line: int, index: int, siblings: Siblings | None = None):
    anchored = "&" in chunk and _ANCHOR.search(chunk)
    if siblings is not None and not anchored:
        obj = siblings.parse(chunk)
        if obj is not None:
            return obj
    loader = yamlio.Loader(chunk)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if not anchored:
            obj = loader.construct_tree(node)
            if siblings is not None and not loader.generic:
                siblings.remember(chunk, node, obj)
            return obj
        if _expanded_size(node) > MAX_EXPANDED_NODES:
            raise InputError(
                f"YAML aliases expand past {MAX_EXPANDED_NODES:,} nodes (an alias bomb?)",
                file=_file_hint(chunk), document=f"document {index + 1}",
                line=first_line + node.start_mark.line)
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        reason, line, column = yamlio.describe(err, first_line)
        if not isinstance(err, yaml.MarkedYAMLError):
            line = first_line  # no mark: the document's first line is the best address
        raise InputError(reason, file=_file_hint(chunk), document=f"document {index + 1}",
                         line=line, column=column) from None
    except RecursionError:
        raise InputError("YAML nested too deeply", file=_file_hint(chunk),
                         document=f"document {index + 1}", line=first_line) from None
    finally:
        loader.dispose()


def _require_object(obj, index: int, chunk: str, first_line: int) -> None:
    if isinstance(obj, dict) and isinstance(obj.get("apiVersion"), str) and obj["apiVersion"] \
            and isinstance(obj.get("kind"), str) and obj["kind"] \
            and isinstance(obj.get("metadata"), dict) \
            and isinstance(obj["metadata"].get("name"), str) and obj["metadata"]["name"]:
        return
    where = {"file": _file_hint(chunk), "document": f"document {index + 1}", "line": first_line}
    if not isinstance(obj, dict):
        raise InputError(f"a manifest must be a mapping, not a {_type_name(obj)}", **where)
    for field in ("apiVersion", "kind"):
        value = obj.get(field)
        if not isinstance(value, str) or not value:
            raise InputError("missing or empty", field=field, **where)
    where["document"] += f" {obj['kind']}"
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        raise InputError("missing or not a mapping", field="metadata", **where)
    if not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise InputError("missing or empty", field="metadata.name", **where)


def _type_name(value) -> str:
    return {list: "list", str: "string", int: "number", float: "number",
            bool: "boolean"}.get(type(value), type(value).__name__)


# Below this size a stream is parsed in one process: a child's fork and its
# pickled result would cost more than they save.
PARALLEL_MIN_BYTES = 1 << 20
# How the work is shared (see `_split`). The main process loads the stages
# while children parse (see `Parsing`), worth about this much text of parsing;
# a child parses a little slower than the main process (it interns strings,
# pickles its result, and the main process unpickles it) by this factor.
# Tuned with bench/bench_region.py at N=100 and bench/bench_stream.py.
MAIN_WORK_BYTES = 250_000
CHILD_COST = 1.15


class Parsing:
    """The stream being parsed, by up to `jobs` processes.

    Children start parsing the tail of a large stream at once; the caller may
    do other work in the `with` block (the command line loads the overlay)
    before `documents()` parses the head here and joins the children's parts.
    A child that fails for any reason leaves its part to this process, so an
    error is raised here, and worded exactly as in a one-process parse.
    """

    def __init__(self, text: str, *, jobs: int = 1):
        self.chunks = list(_chunks(text))
        if jobs < 2 or len(text) < PARALLEL_MIN_BYTES or len(self.chunks) < jobs \
                or not hasattr(os, "fork"):
            jobs = 1
        bounds = _split([len(chunk) for _, chunk in self.chunks], jobs)
        # (first chunk, end chunk, the child parsing them or None for this process)
        self.parts: list[tuple[int, int, forked.Child | None]] = [(*bounds[0], None)]
        for start, end in bounds[1:]:
            part = self.chunks[start:end]
            self.parts.append((start, end, forked.Child(lambda part=part: _parse_part(part))))

    def documents(self) -> list[Document]:
        """All objects of the stream in order. Empty and comment-only documents are dropped."""
        documents: list[Document] = []
        siblings = Siblings()
        for start, end, child in self.parts:
            objects = child.result() if child is not None else None
            for position in range(start, end):
                first_line, chunk = self.chunks[position]
                index = len(documents)
                obj = objects[position - start] if objects is not None \
                    else _parse(chunk, first_line, index, siblings)
                if obj is None:
                    continue  # nothing but comments or whitespace: Helm 4 would reject it as output
                _require_object(obj, index, chunk, first_line)
                header = _header(chunk)
                source = _SOURCE.search(header)
                source = source.group(1).strip() if source else None
                documents.append(Document(obj, index=index, text=chunk, header=header,
                                          source=source))
        if not documents:
            raise InputError("no manifests on stdin (Helm 4 rejects an empty result)", file=STDIN)
        return documents

    def close(self) -> None:
        for _, _, child in self.parts:
            if child is not None:
                child.close()

    def __enter__(self) -> Parsing:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _split(sizes: list[int], jobs: int) -> list[tuple[int, int]]:
    """(start, end) ranges of items for `jobs` processes, the first for this one.

    Sized so that all finish together: each child's text, at CHILD_COST per
    byte, matches this process's text plus its MAIN_WORK_BYTES of other work.
    """
    total = sum(sizes)
    child = (total + MAIN_WORK_BYTES) / (CHILD_COST + jobs - 1)
    ends = [max(0.0, total - (jobs - 1) * child) + child * i for i in range(jobs - 1)]
    bounds, start, reached = [], 0, 0
    for position, size in enumerate(sizes):
        if len(bounds) < len(ends) and reached >= ends[len(bounds)] and position > start:
            bounds.append((start, position))
            start = position
        reached += size
    bounds.append((start, len(sizes)))
    return bounds


def _parse_part(part: list[tuple[int, str]]) -> list:
    """A child's work: the objects of its chunks (None for an empty one)."""
    gc.disable()  # the child exits right after: collecting would be wasted time
    yamlio.Loader.interning = True  # this process only: it was forked for this
    siblings = Siblings()
    return [_parse(chunk, first_line, 0, siblings) for first_line, chunk in part]


def parse(text: str, *, jobs: int = 1) -> list[Document]:
    """All objects of the stream in order. Empty and comment-only documents are dropped."""
    with Parsing(text, jobs=jobs) as parsing:
        return parsing.documents()


def emit(documents: list[Document]) -> str:
    """The output stream: original text for untouched documents, YAML for the rest."""
    return "".join(emit_pieces(documents))


def emit_pieces(documents: list[Document]) -> list[str]:
    """The output stream as one string per document, every one complete.

    An untouched document's piece is its input text itself, not a copy, so a
    region-sized stream is not held twice more for a join and an encode.
    """
    out: list[str] = []
    for doc in documents:
        if doc.dirty:
            marker = "---\n" if out or doc.text is None or doc.text.startswith("---") else ""
            out.append(marker + doc.header + yamlio.dump(doc.obj))
            continue
        text = doc.text
        if out and not text.startswith(("---", "%")):
            text = "---\n" + text
        if not text.endswith("\n"):
            text += "\n"
        out.append(text)
    return out
