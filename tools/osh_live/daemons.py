"""Host processes of the live cluster: started detached, found again by pid file.

A daemon is started only when its pid file names no live process of the same
executable, so `up` can be run again at any time; `stop` sends SIGTERM, waits,
then SIGKILLs what is left. Pid files and logs go to the live cluster's
directories unless a daemon names others (the scale test's control plane).
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from osh_live import paths
from osh_live.proc import say


@dataclass(frozen=True)
class Daemon:
    name: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    run_dir: Path = field(default=paths.RUN)
    log_dir: Path = field(default=paths.LOGS)

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"


def pid_of(name: str, run_dir: Path = paths.RUN) -> int | None:
    """The pid of a running daemon, or None (a stale pid file does not count)."""
    try:
        pid = int((run_dir / f"{name}.pid").read_text())
    except (OSError, ValueError):
        return None
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None
    # A pid reused by another program is not ours.
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    return pid if os.path.basename(exe.removesuffix(" (deleted)")) == os.path.basename(cmdline) else None


def start(daemon: Daemon) -> int:
    pid = pid_of(daemon.name, daemon.run_dir)
    if pid:
        return pid
    daemon.run_dir.mkdir(parents=True, exist_ok=True)
    daemon.log_dir.mkdir(parents=True, exist_ok=True)
    say(f"starting {daemon.name} (log: {daemon.log_file})")
    with open(daemon.log_file, "ab") as log:
        process = subprocess.Popen(
            daemon.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True, env={**os.environ, **dict(daemon.env)})
    daemon.pid_file.write_text(f"{process.pid}\n")
    return process.pid


def stop(name: str, timeout: float = 30, run_dir: Path = paths.RUN) -> bool:
    """Stop a daemon; True if one was running."""
    pid = pid_of(name, run_dir)
    if not pid:
        (run_dir / f"{name}.pid").unlink(missing_ok=True)
        return False
    say(f"stopping {name} (pid {pid})")
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        _signal(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.1)
    (run_dir / f"{name}.pid").unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass
    # Reap it if we are its parent (the same `up` that started it).
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
