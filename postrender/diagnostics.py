"""Where warnings and errors go, so that an operator sees them under any Helm.

Helm 3 shows a failing post-renderer's stderr; Helm 4 throws it away. So every
message also goes to a log file (always), and, when run as a Helm plugin with
stderr captured, to the controlling terminal if there is one. stdout is never
used: it belongs to the manifests.
"""
from __future__ import annotations

import datetime
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

LOG_ENV = "OSH_POSTRENDER_LOG"
LOG_MAX_BYTES = 1 << 20


def log_path() -> Path:
    """$OSH_POSTRENDER_LOG, else $XDG_STATE_HOME/osh-postrender/osh-postrender.log."""
    if os.environ.get(LOG_ENV):
        return Path(os.environ[LOG_ENV])
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "osh-postrender" / "osh-postrender.log"


@dataclass
class Finding:
    """A warning from a stage. `strict` findings fail the run under --check."""

    message: str
    strict: bool = False


@dataclass
class Diagnostics:
    check: bool = False
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def warn(self, message: str, *, strict: bool = False) -> None:
        """A problem the run survives; with strict=True, --check fails on it."""
        self.findings.append(Finding(message, strict))

    def note(self, message: str) -> None:
        """Something done on the operator's behalf that they should know (a migration)."""
        self.notes.append(message)

    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.strict] if self.check else []


class Channel:
    """Writes messages to stderr, the log file, and the terminal when Helm 4 hides stderr."""

    def __init__(self, argv: list[str]):
        self.argv = argv
        self.lines: list[str] = []

    def say(self, line: str) -> None:
        self.lines.append(line)
        print(line, file=sys.stderr)

    def flush(self, *, failed: bool) -> None:
        if not self.lines:
            return
        self._log(failed)
        if failed and _stderr_hidden():
            self._tty()

    def _log(self, failed: bool) -> None:
        path = log_path()
        stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        status = "failed" if failed else "ok"
        entry = f"{stamp} osh-postrender {' '.join(self.argv)} ({status})\n" + "".join(
            f"  {line}\n" for line in self.lines)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
                path.replace(path.with_name(path.name + ".1"))
            with open(path, "a", encoding="utf-8") as log:
                log.write(entry)
        except OSError as err:
            print(f"osh-postrender: cannot write the log {path}: {err}", file=sys.stderr)

    def _tty(self) -> None:
        try:
            with open("/dev/tty", "w", encoding="utf-8") as tty:
                for line in self.lines:
                    tty.write(line + "\n")
                tty.write(f"osh-postrender: this is also in {log_path()}\n")
        except OSError:
            pass  # no controlling terminal (CI): the log file is the record


def _stderr_hidden() -> bool:
    # Helm 4 sets HELM_PLUGIN_NAME for its plugins and drops their stderr.
    return bool(os.environ.get("HELM_PLUGIN_NAME")) and not sys.stderr.isatty()
