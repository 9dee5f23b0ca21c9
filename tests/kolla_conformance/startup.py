"""What Kolla's start path does to a container's command: start.sh sources
the image's kolla_extend_start (unless KOLLA_SKIP_EXTEND_START is set, to
anything), which may exit first (a KOLLA_BOOTSTRAP branch) or set ARGS, and
then runs `exec ${CMD} ${ARGS}`.

The extend_start scripts are read, not run: each statement that matters
(ARGS=, exit, sourcing another script) is kept with the `if` conditions
around it, and a condition is known only when it tests whether a variable is
set (`[[ "${!KOLLA_BOOTSTRAP[@]}" ]]`); any other is "maybe".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tests.kolla_conformance import dockerfile
from tests.kolla_conformance.image import KollaImage

EXTEND_START = "/usr/local/bin/kolla_extend_start"
# What start.sh must say for the model above to hold (checked by a test).
START_SH_MODEL = ('if [[ ! "${!KOLLA_SKIP_EXTEND_START[@]}" ]]; then',
                  ". kolla_extend_start", "exec ${CMD} ${ARGS}")

_IS_SET = re.compile(r'^\[\[\s*(!\s*)?"\$\{!(\w+)\[@\]\}"\s*\]\]$')
_SOURCE = re.compile(r"^(?:\.|source)\s+(\S+)$")
_ARGS = re.compile(r"^ARGS\+?=(.*)$")


@dataclass(frozen=True)
class Statement:
    kind: str                     # "args", "exit" or "exec"
    text: str
    guards: tuple[str, ...]       # the `if` conditions around it, outermost first
    script: str                   # the image path of the script it is in


def _condition(line: str) -> str:
    return re.sub(r"^(if|elif)\s+|;\s*then$|\s+then$", "", line).strip()


def statements(image: KollaImage, path: str = EXTEND_START, seen: tuple = ()) -> list[Statement]:
    """The statements of the script the image has at `path`, with those of
    the scripts it sources, in order."""
    source = image.file_source(path)
    if source is None or path in seen:
        return []   # a script Kolla only `touch`es is empty
    out, guards = [], []
    for raw in source.read_text().splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("if "):
            guards.append(_condition(line))
        elif line.startswith("elif "):
            guards[-1] = f"not ({guards[-1]}) and {_condition(line)}"
        elif line == "else":
            guards[-1] = f"not ({guards[-1]})"
        elif line == "fi":
            guards.pop()
        elif match := _SOURCE.match(line):
            out += [Statement(s.kind, s.text, tuple(guards) + s.guards, s.script)
                    for s in statements(image, match[1], seen + (path,))]
        elif match := _ARGS.match(line):
            out.append(Statement("args", match[1].strip("\"'"), tuple(guards), path))
        elif re.match(r"^exit\b", line):
            out.append(Statement("exit", line, tuple(guards), path))
        elif line.startswith("exec "):
            out.append(Statement("exec", line, tuple(guards), path))
    return out


def _holds(guard: str, env: set[str]) -> bool | None:
    """True or False when `guard` only tests whether a variable is set, else None."""
    match = _IS_SET.match(guard)
    if not match:
        return None
    is_set = match[2] in env
    return (not is_set) if match[1] else is_set


@dataclass(frozen=True)
class Outcome:
    """What happens to a command under an image's start path."""

    skipped: bool                                  # extend_start not run at all
    ends: tuple[Statement, ...] = ()               # exits or execs that run before the command
    maybe_ends: tuple[Statement, ...] = ()         # ... under conditions the env cannot decide
    args: tuple[Statement, ...] = ()               # ARGS set for certain
    maybe_args: tuple[Statement, ...] = ()         # ARGS set under undecided conditions


def outcome(image: KollaImage, env: set[str]) -> Outcome:
    """Run the extend_start of `image` in thought with the variables `env` set."""
    if "KOLLA_SKIP_EXTEND_START" in env:
        return Outcome(skipped=True)
    ends, maybe_ends, args, maybe_args = [], [], [], []
    for statement in statements(image):
        verdicts = [_holds(g, env) for g in statement.guards]
        if False in verdicts:
            continue
        certain = None not in verdicts
        if statement.kind in ("exit", "exec"):
            (ends if certain else maybe_ends).append(statement)
            if certain:
                break
        else:
            (args if certain else maybe_args).append(statement)
    return Outcome(False, tuple(ends), tuple(maybe_ends), tuple(args), tuple(maybe_args))


def start_sh() -> str:
    return (dockerfile.docker_tree() / "base" / "start.sh").read_text()
