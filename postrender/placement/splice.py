"""Edit a few top-level fields of a pod spec inside a document's original text.

Re-serialising a whole workload costs some forty times more than placing it,
and it throws away the chart's formatting; placement changes at most five
pod spec fields. So those fields are cut and pasted as text, the rest of the
document is kept byte for byte. The scanner only accepts plain block-style
YAML and checks the keys it finds against the parsed object at every level;
anything else returns None and the caller re-serialises the document.
"""
from __future__ import annotations

import marshal
import re

from postrender import yamlio

REMOVED = object()

_BARE = re.compile(r"[ ]*(#[^\n]*)?\n")


def splice(text: str, path: tuple[str, ...], levels: list[dict],
           changes: dict[str, object]) -> str | None:
    """`text` with the pod spec at `path` changed as `changes` says, or None.

    `levels` are the parsed mappings along the path (the object, then one per
    key of `path`); `changes` maps a field to its new value or REMOVED.
    Ranges are character offsets of whole lines.
    """
    if "\r" in text:
        return None
    # A leading newline lets every line start be found as "\n" + indent, which
    # the regex engine scans for far faster than a multi-line "^".
    text = "\n" + text if text.endswith("\n") else "\n" + text + "\n"
    start, end = _body(text)
    if start is None:
        return None
    indent = 0
    for depth, key in enumerate(path):
        parsed = levels[depth]
        found = _key_lines(text, start, end, indent, key, list(parsed)) \
            if isinstance(parsed, dict) else None
        if found is None:
            return None
        s, e, after = found
        if not _BARE.match(text, after):
            return None  # a value on the key's own line: flow style, anchor or tag
        child = _CONTENT.search(text, text.index("\n", s), e)
        if child is None or len(child.group(1)) <= indent:
            return None
        indent = len(child.group(1))
        start, end = child.start() + 1, e
    keys = _keys(text, start, end, indent, levels[len(path)], changes)
    if keys is None:
        return None

    edits = []  # (start, end, replacement)
    for field, value in changes.items():
        new = "" if value is REMOVED else _render(field, value, indent)
        if field in keys:
            s, e, _ = keys[field]
            if "&" in text[s:e] or "*" in text[s:e]:
                return None  # an anchor or alias might be shared with the rest
            edits.append((s, e, new))
        elif value is not REMOVED:
            edits.append((end, end, new))
    # Back to front; an insertion at `end` before a replacement that ends there.
    for s, e, new in sorted(edits, key=lambda edit: (edit[0], edit[0] == edit[1]), reverse=True):
        text = text[:s] + new + text[e:]
    return text[1:]


_RENDERED: dict[tuple[str, int, bytes], str] = {}


def _render(field: str, value, indent: int) -> str:
    # Most workloads get the same few values: dump each one once. marshal is
    # the cheapest exact key (it tells 1 from True and from "1", and keeps
    # the key order the YAML will have); equal values that marshal apart only
    # cost a second dump.
    key = (field, indent, marshal.dumps(value))
    rendered = _RENDERED.get(key)
    if rendered is None:
        pad = " " * indent
        rendered = _RENDERED[key] = "".join(
            pad + line if line != "\n" else line
            for line in yamlio.dump({field: value}).splitlines(keepends=True))
    return rendered


_CONTENT = re.compile(r"\n( *)[^ \n#]")
_MARKER = re.compile(r"\n(?:---|\.\.\.)")
_LINE_AT: dict[int, re.Pattern] = {}


def _body(text: str) -> tuple[int | None, int]:
    """The content of the document: after '---' and comments, before '...'.

    `text` is one document of the stream, so an end marker can only be its last line.
    """
    pos = 0
    while True:
        match = _CONTENT.search(text, pos)
        if match is None:
            return None, 0
        line_end = text.index("\n", match.start() + 1)
        line = text[match.start() + 1:line_end]
        if line.startswith("%"):
            return None, 0
        if not line.startswith("---"):
            break
        if line.rstrip() != "---":
            return None, 0  # content or a tag on the marker line
        pos = line_end
    start = match.start() + 1
    last_line = text.rfind("\n", start - 1, len(text) - 1)
    marker = _MARKER.match(text, last_line) if last_line >= start - 1 else None
    return start, marker.start() + 1 if marker else len(text)


def _key_lines(text: str, a: int, b: int, indent: int, key: str, order: list) -> tuple | None:
    """(start, end, after the colon) of `key` in the block mapping at `indent`, or None.

    Only the key's own lines matter, and plain substring searches find them:
    a line at exactly `indent` inside the mapping is one of its keys (YAML
    keeps block scalars and continuations deeper), and `order`, the mapping's
    keys in text order (a parsed mapping's keys are unique and in text order),
    names the key whose line ends this one's lines.
    """
    if key not in order:
        return None
    pos, after = _find_key(text, a - 1, b, indent, key)
    if pos < 0:
        return None
    following = order.index(key) + 1
    if following == len(order):
        return pos + 1, b, after
    nxt = order[following]
    if not isinstance(nxt, str):
        return None
    end, _ = _find_key(text, after, b, indent, nxt)
    return None if end < 0 else (pos + 1, end + 1, after)


def _find_key(text: str, a: int, b: int, indent: int, key: str) -> tuple[int, int]:
    """(offset of the newline before `key:` at `indent`, offset after the colon), or (-1, -1)."""
    pad = "\n" + " " * indent
    for spelled in (key, f"'{key}'", f'"{key}"'):
        needle = pad + spelled + ":"
        pos = text.find(needle, a, b)
        if pos >= 0 and text[pos + len(needle):pos + len(needle) + 1] in (" ", "\n"):
            return pos, pos + len(needle)
    return -1, -1


def _keys(text: str, a: int, b: int, indent: int, parsed, wanted) -> dict | None:
    """key -> (start, end, after the colon) of the `wanted` keys of a block mapping
    whose keys sit at `indent`; a wanted key the mapping lacks is left out.

    None unless every line at that indent is a plain key or belongs to the
    previous key (a '- ' item), and the keys found are exactly the parsed ones.
    A key's range ends where the next key starts (its trailing comments go with it).
    """
    if not isinstance(parsed, dict):
        return None
    pattern = _LINE_AT.get(indent)
    if pattern is None:
        # One match per content line at this indent: a '- ' item (group 1), a
        # plain, single- or double-quoted key (groups 2-4, quotes kept so that
        # an empty key is told from no key), or anything else (group 5).
        pattern = _LINE_AT[indent] = re.compile(
            rf"""\n {{{indent}}}(?=[^ \n#])(?:(-)(?=[ \n])"""
            r"""|(?:([A-Za-z_][A-Za-z0-9_.\-/]*)|('[^'\n]*')|("[^"\\\n]*")):(?=[ \n]|$)|(.))""")
    # findall, not finditer: the lines are only checked here, so no match
    # objects are needed, and a pod spec has a few dozen such lines.
    names: list[str] = []  # in text order
    for item, plain, single, double, other in pattern.findall(text, a - 1, b):
        if other or (item and not names):
            return None
        if not item:
            names.append(plain or (single or double)[1:-1])
    if len(names) != len(parsed) or len(set(names)) != len(names) \
            or any(k not in parsed for k in names):
        return None
    found = {}
    for key in wanted:
        if key in parsed:
            lines = _key_lines(text, a, b, indent, key, names)
            if lines is None:
                return None
            found[key] = lines
    return found
