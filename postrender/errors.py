"""The one exception type the stages raise, and the exit codes it maps to.

Every error carries an address (file, document, kind/name, field) so that an
operator can find the offending line without re-running anything.
"""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    INTERNAL = 1      # a bug in osh-postrender itself; the traceback goes to the log
    USAGE = 2         # bad command line (argparse uses 2 as well)
    INPUT = 3         # the manifest stream on stdin is unusable
    CONFIG = 4        # the overlay, policy or patch files are unusable
    CHECK = 5         # --check found policy violations


class PostRenderError(Exception):
    """An error with an address. `code` says whose fault it is."""

    code = ExitCode.INTERNAL

    def __init__(self, reason: str, *, file: str | None = None,
                 document: str | None = None, field: str | None = None,
                 line: int | None = None, column: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.file = file
        self.document = document
        self.field = field
        self.line = line
        self.column = column

    def __str__(self) -> str:
        parts = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.document:
            parts.append(self.document)
        if self.field:
            parts.append(self.field)
        parts.append(self.reason)
        return ": ".join(parts)


class UsageError(PostRenderError):
    code = ExitCode.USAGE


class InputError(PostRenderError):
    """The manifests Helm rendered cannot be processed."""

    code = ExitCode.INPUT


class ConfigError(PostRenderError):
    """An overlay, placement policy or hot-fix patch is wrong."""

    code = ExitCode.CONFIG
