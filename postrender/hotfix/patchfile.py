"""One hot-fix patch file, validated with unidiff before anything is emitted.

A patch is a unified diff whose paths, with one leading level stripped
(`patch -p1`), stay inside site-packages. This module rejects what the
init container could not apply safely; it never reads files itself (the
caller hands it the text it read through OverlayDir).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import unidiff

from postrender.errors import ConfigError

DEV_NULL = "/dev/null"
# ConfigMap keys: the file name becomes the key, so it must be a valid one.
KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


@dataclass(frozen=True)
class PatchFile:
    component: str
    name: str           # the file name: the ConfigMap key and the sort key
    text: str
    path: str           # as the operator wrote it, for messages
    first_target: str   # the first file it changes, relative to site-packages
    files: tuple[str, ...] = ()  # every file it reads or writes, relative to site-packages

    @property
    def size(self) -> int:
        """Bytes the key and value take in a ConfigMap (what the 1 MiB limit counts)."""
        return len(self.name.encode()) + len(self.text.encode())


def parse(component: str, name: str, text: str, path: str) -> PatchFile:
    """The validated patch, or a ConfigError naming the file (and line)."""
    if not name.endswith(".patch") or not KEY.match(name):
        raise ConfigError(f"patch file name {name!r} must end in .patch and use only "
                          "letters, digits, '-', '_' and '.' (it becomes a ConfigMap key)",
                          file=path)
    if not text.strip():
        raise ConfigError("empty patch file", file=path)
    try:
        patch_set = unidiff.PatchSet(text)
    except unidiff.UnidiffParseError as err:
        raise ConfigError(f"malformed diff: {err}", file=path, line=_bad_line(text)) from None
    if not patch_set:
        raise ConfigError("malformed diff: no '--- '/'+++ ' file header with hunks found",
                          file=path, line=1)
    targets: list[str] = []
    files: list[str] = []
    for patched in patch_set:
        line = _header_line(text, patched)
        if patched.is_binary_file:
            raise ConfigError(f"binary diff for {patched.path}: a hot-fix changes text only",
                              file=path, line=line)
        if len(patched) == 0:
            raise ConfigError(f"{patched.path}: no hunks (a mode change, rename or empty "
                              "file): a hot-fix changes file contents only",
                              file=path, line=line)
        for marker, header in (("--- ", patched.source_file), ("+++ ", patched.target_file)):
            _check_path(header, path, _line_of(text, marker + header) or line)
        real = patched.target_file if patched.target_file != DEV_NULL else patched.source_file
        targets.append(_strip(real))
        files += [_strip(p) for p in (patched.source_file, patched.target_file)
                  if p != DEV_NULL]
    return PatchFile(component, name, text, path, targets[0], tuple(dict.fromkeys(files)))


def _strip(header_path: str) -> str:
    """The path `patch -p1` uses: the first level removed."""
    return header_path.split("/", 1)[1]


def _check_path(header_path: str, file: str, line: int | None) -> None:
    if header_path == DEV_NULL:
        return
    if header_path.startswith("/"):
        raise ConfigError(f"absolute path {header_path!r}: paths are relative to "
                          "site-packages, one level stripped", file=file, line=line)
    if "/" not in header_path:
        raise ConfigError(f"path {header_path!r} has no leading level to strip (make the "
                          "patch with git diff or diff -ruN from the package's parent)",
                          file=file, line=line)
    parts = _strip(header_path).split("/")
    if ".." in parts or "" in parts:
        raise ConfigError(f"path {header_path!r} leaves site-packages or is not a plain "
                          "relative path once one level is stripped", file=file, line=line)


def _header_line(text: str, patched: unidiff.PatchedFile) -> int | None:
    """Line number of a file diff's '+++ ' header (or its 'diff --git' line)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("+++ ") and patched.target_file in line:
            return number
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("diff ") and patched.path in line:
            return number
    return None


def _line_of(text: str, start: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(start):
            return number
    return None


def _bad_line(text: str) -> int | None:
    """Where a hunk ends early or holds a line that is no hunk line (unidiff gives no line)."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _HUNK.match(lines[i])
        if not match:
            i += 1
            continue
        old = int(match.group(1) or 1)
        new = int(match.group(2) or 1)
        header = i + 1
        i += 1
        while old > 0 or new > 0:
            if i >= len(lines):
                return header
            body = lines[i]
            if body.startswith("\\"):
                i += 1
                continue
            if body.startswith(" ") or body == "":
                old, new = old - 1, new - 1
            elif body.startswith("-"):
                old -= 1
            elif body.startswith("+"):
                new -= 1
            else:
                return i + 1
            if old < 0 or new < 0:
                return i + 1
            i += 1
    return None
