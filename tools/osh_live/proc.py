"""Running the commands the live cluster is built and driven with.

Every command is echoed to stderr before it runs, so a long build shows
where it is; a failure raises LiveError with the command and its output's tail.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path


class LiveError(Exception):
    """A step of the live cluster failed; the message says which and why."""


def say(message: str) -> None:
    print(f"live: {message}", file=sys.stderr, flush=True)


def run(argv: list[str | os.PathLike], *, cwd: Path | None = None,
        env: dict[str, str] | None = None, capture: bool = False,
        check: bool = True, quiet: bool = False, timeout: float | None = None,
        input: str | None = None, stdin=None) -> subprocess.CompletedProcess:
    """Run argv; with capture, return its stdout as text instead of showing it."""
    argv = [str(a) for a in argv]
    if not quiet:
        say("$ " + shlex.join(argv))
    full_env = None if env is None else {**os.environ, **env}
    result = subprocess.run(argv, cwd=cwd, env=full_env, text=True, input=input, stdin=stdin,
                            stdout=subprocess.PIPE if capture else (subprocess.DEVNULL if quiet else None),
                            stderr=subprocess.PIPE if (capture or quiet) else None,
                            timeout=timeout)
    if check and result.returncode != 0:
        tail = (result.stderr or "")[-3000:] if (capture or quiet) else "(output above)"
        raise LiveError(f"{shlex.join(argv)} exited {result.returncode}: {tail}")
    return result


def output(argv: list[str | os.PathLike], **kwargs) -> str:
    return run(argv, capture=True, quiet=kwargs.pop("quiet", True), **kwargs).stdout
