"""The hot-fix init container's program: patched copies of site-packages entries.

It runs in an init container from the component's own Kolla image, as the
image's user. Each top-level entry of site-packages named on the command line
(`nova`, `os_vif`, `six.py`) is copied into the pod's emptyDir, the mounted
patches are applied there in file-name order with GNU patch, and what they
changed is byte-compiled; the pod's Kolla containers then mount each copy
read-only over the entry. It never writes outside its output dir, and never
lets a pod start on a half-patched copy: a conflict fails the init container.

Standalone on purpose: the stage ships this file in the `<component>-patches`
ConfigMap, so it uses the standard library only and runs on Python 3.9 (the
oldest Python of a Kolla 2025.1 image). `patches verify` imports its judging.
"""
from __future__ import annotations

import argparse
import glob
import os
import py_compile
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from importlib.util import cache_from_source

# The Kolla layout. The pod mounts the copies through the venv's version-free
# `lib/python3` symlink (Kolla 2025.1 and later): the pod spec cannot know the
# image's Python version, and runc resolves a mount destination through
# symlinks inside the container's root.
KOLLA_VENV = "/var/lib/kolla/venv"
SITE_PACKAGES_LINK = "lib/python3/site-packages"
HOTFIX_DIR = "/var/lib/osh/hotfix"
PATCH_DIRS = HOTFIX_DIR + "/*-patches"        # one mount per patch ConfigMap
OUTPUT = HOTFIX_DIR + "/site-packages"        # the emptyDir
SCRATCH = ".hotfix-scratch"                   # inside OUTPUT: the root may be read-only

# Fuzz 0: a hot-fix applies where it was made, or not at all. --force: patch
# never guesses that a patch is reversed; the peeling below decides that.
PATCH_OPTIONS = ("-p1", "--force", "--fuzz=0", "--silent")
DEV_NULL = "/dev/null"
_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
# Set when this program re-executes itself with the venv's Python.
_REEXEC = "OSH_HOTFIX_REEXEC"

APPLIED = "applied"
ALREADY_APPLIED = "already applied"
SKIPPED = "skipped"
CONFLICT = "conflict"


class Failure(Exception):
    """Stops the init container: the pod must not start."""


class FileDiff:
    """One file's part of a patch: its lines [start, end) and its two paths (one level stripped)."""

    def __init__(self, start: int, end: int, old: str, new: str):
        self.start, self.end, self.old, self.new = start, end, old, new

    @property
    def target(self) -> str:
        return self.new if self.new != DEV_NULL else self.old


class Patch:
    """A patch file as mounted: its name orders it, its path names it in messages."""

    def __init__(self, name: str, path: str, text: str):
        self.name, self.path, self.text = name, path, text
        self.diffs = file_diffs(text)

    @property
    def first_target(self) -> str:
        """The first file it changes: decides whether it applies here at all."""
        return self.diffs[0].target if self.diffs else ""

    @property
    def files(self) -> list[str]:
        """Every file it reads or writes, relative to site-packages, in order."""
        seen: dict[str, None] = {}
        for diff in self.diffs:
            for path in (diff.old, diff.new):
                if path != DEV_NULL:
                    seen[path] = None
        return list(seen)

    def section(self, diff: FileDiff) -> str:
        return "\n".join(_lines(self.text)[diff.start:diff.end]) + "\n"


def _lines(text: str) -> list[str]:
    """Lines as GNU patch sees them: split at newlines only. str.splitlines would
    also split at a form feed, which Python sources use as a page break."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _header_path(value: str) -> str:
    path = value.split("\t", 1)[0].rstrip("\n")
    if len(path) > 1 and path[0] == path[-1] == '"':
        path = path[1:-1]  # git quotes unusual names
    if path == DEV_NULL:
        return path
    return path.split("/", 1)[1] if "/" in path else path


def file_diffs(text: str) -> list[FileDiff]:
    """The file diffs of a unified diff; hunk bodies are skipped by their line counts,
    so a removed line that reads '--- x' is never taken for a header."""
    lines = _lines(text)
    found: list[FileDiff] = []
    i = 0
    while i < len(lines):
        if not (lines[i].startswith("--- ") and i + 1 < len(lines)
                and lines[i + 1].startswith("+++ ")):
            i += 1
            continue
        start = i
        old, new = _header_path(lines[i][4:]), _header_path(lines[i + 1][4:])
        i += 2
        while i < len(lines):
            match = _HUNK.match(lines[i])
            if not match:
                break
            old_left = int(match.group(1) if match.group(1) is not None else 1)
            new_left = int(match.group(2) if match.group(2) is not None else 1)
            i += 1
            while i < len(lines) and (old_left > 0 or new_left > 0):
                line = lines[i]
                if line.startswith("\\"):
                    pass
                elif line.startswith(" ") or line == "":
                    old_left, new_left = old_left - 1, new_left - 1
                elif line.startswith("-"):
                    old_left -= 1
                elif line.startswith("+"):
                    new_left -= 1
                else:
                    break
                i += 1
            while i < len(lines) and lines[i].startswith("\\"):
                i += 1  # "\ No newline at end of file" after the last line
        found.append(FileDiff(start, i, old, new))
    return found


def find_patches(pattern: str) -> list[Patch]:
    """Every <dir>/*.patch of the dirs matching `pattern`, in apply order: by file name
    (bytes, so every node sorts alike), the full path breaking ties."""
    paths = [p for p in glob.glob(os.path.join(pattern, "*.patch")) if os.path.isfile(p)]
    paths.sort(key=lambda p: (os.path.basename(p).encode(), p.encode()))
    patches = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            patches.append(Patch(os.path.basename(path), path, handle.read()))
    return patches


def venv_purelib(venv: str) -> str:
    """site-packages of a venv, as the venv's own Python's sysconfig computes it,
    without running that Python (it may belong to another system's image)."""
    config = {}
    with open(os.path.join(venv, "pyvenv.cfg"), encoding="utf-8") as handle:
        for line in handle:
            key, sep, value = line.partition("=")
            if sep:
                config[key.strip()] = value.strip()
    version = config.get("version") or config.get("version_info") or ""
    parts = version.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        raise Failure(f"{venv}/pyvenv.cfg: no Python version (version = X.Y.Z) in it")
    short = f"{parts[0]}.{parts[1]}"
    # posix_prefix is what CPython's venv scheme is on POSIX.
    return sysconfig.get_path("purelib", "posix_prefix", vars={
        "base": venv, "platbase": venv, "installed_base": venv, "installed_platbase": venv,
        "py_version_short": short, "abiflags": "", "abi_thread": "", "platlibdir": "lib",
        "implementation_lower": "python", "implementation": "Python"})


def run_patch(directory: str, text: str, *options: str, scratch: str,
              quiet: bool = True) -> subprocess.CompletedProcess:
    base = PATCH_OPTIONS if quiet else tuple(o for o in PATCH_OPTIONS if o != "--silent")
    # GNU patch writes its temporary files under TMPDIR: the scratch dir,
    # because the container's root file system is read-only.
    return subprocess.run(["patch", *base, "-d", directory, *options],
                          input=text.encode("utf-8"), capture_output=True, timeout=300,
                          env={**os.environ, "TMPDIR": scratch})


def _one_line(process: subprocess.CompletedProcess) -> str:
    text = (process.stdout + process.stderr).decode("utf-8", "replace")
    return " ".join(text.split())


class Result:
    def __init__(self, patch: Patch, outcome: str, file: str = "", detail: str = ""):
        self.patch, self.outcome, self.file, self.detail = patch, outcome, file, detail


def copy_named_files(tree: str, patches: list[Patch], into: str) -> None:
    for patch in patches:
        for relative in patch.files:
            source, target = os.path.join(tree, relative), os.path.join(into, relative)
            if os.path.isfile(source) and not os.path.exists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(source, target)


def already_applied(tree: str, patches: list[Patch], scratch: str) -> set[int]:
    """Indexes of the patches already in `tree` (a fix built into the image).

    On a scratch copy of the files they name, the patches are reversed last
    first: a patch stacked on an earlier one hides the earlier one from a
    plain reverse check, and peeling the later one first uncovers it.
    """
    peel = os.path.join(scratch, "peel")
    copy_named_files(tree, patches, peel)
    found = set()
    for index in range(len(patches) - 1, -1, -1):
        patch = patches[index]
        if not patch.first_target or not os.path.isfile(os.path.join(peel, patch.first_target)):
            continue
        if run_patch(peel, patch.text, "--reverse", "--dry-run", scratch=scratch).returncode == 0 \
                and run_patch(peel, patch.text, "--reverse", "--no-backup-if-mismatch",
                              "--reject-file=-", scratch=scratch).returncode == 0:
            found.add(index)
    shutil.rmtree(peel, ignore_errors=True)
    return found


def _conflict(tree: str, patch: Patch, scratch: str, whole: subprocess.CompletedProcess) -> Result:
    """Which file of the patch does not apply, and GNU patch's reason."""
    for diff in patch.diffs:
        alone = run_patch(tree, patch.section(diff), "--forward", "--dry-run",
                          scratch=scratch, quiet=False)
        if alone.returncode != 0:
            return Result(patch, CONFLICT, diff.target, _one_line(alone))
    return Result(patch, CONFLICT, patch.first_target, _one_line(whole))


def judge(tree: str, patches: list[Patch], scratch: str, keep_going: bool = False) -> list[Result]:
    """Each patch, in order, against `tree`, applying those that apply.

    skipped: its first file is not in the tree (another package or release);
    already applied: found by peeling; applied; or conflict. Stops at the first
    conflict unless keep_going (`patches verify`, which gives every patch a verdict).
    """
    os.makedirs(scratch, exist_ok=True)
    already = already_applied(tree, patches, scratch)
    results = []
    for index, patch in enumerate(patches):
        if not patch.first_target or not os.path.isfile(os.path.join(tree, patch.first_target)):
            results.append(Result(patch, SKIPPED, patch.first_target))
            continue
        if index in already:
            results.append(Result(patch, ALREADY_APPLIED))
            continue
        forward = run_patch(tree, patch.text, "--forward", "--dry-run", scratch=scratch, quiet=False)
        if forward.returncode == 0:
            applied = run_patch(tree, patch.text, "--forward", "--no-backup-if-mismatch",
                                "--reject-file=-", scratch=scratch, quiet=False)
            if applied.returncode == 0:
                results.append(Result(patch, APPLIED))
                continue
            forward = applied
        results.append(_conflict(tree, patch, scratch, forward))
        if not keep_going:
            break
    return results


def compile_changed(tree: str, results: list[Result]) -> None:
    """Fresh bytecode for every file an applied patch changed: the copy is mounted
    read-only, so Python could not write it, and would compile at every start.
    Other bytecode of those files goes, so that no stale .pyc can outlive the change."""
    for result in results:
        if result.outcome != APPLIED:
            continue
        for relative in result.patch.files:
            if not relative.endswith(".py"):
                continue
            source = os.path.join(tree, relative)
            cached = cache_from_source(source)
            directory, stem = os.path.split(cached)
            prefix = stem.split(".", 1)[0] + "."
            if os.path.isdir(directory):
                os.chmod(directory, os.stat(directory).st_mode | 0o200)
                for name in os.listdir(directory):
                    if name.startswith(prefix) and name.endswith(".pyc"):
                        os.unlink(os.path.join(directory, name))
            if os.path.isfile(source):
                try:
                    py_compile.compile(source, cfile=cached, doraise=True)
                except py_compile.PyCompileError as err:
                    raise Failure(f"{result.patch.path}: {relative} does not compile once "
                                  f"patched: {' '.join(str(err.msg).split())}") from None


# --- the init container -------------------------------------------------------

def log(message: str) -> None:
    print(f"hotfix: {message}", file=sys.stderr, flush=True)


def _entry_kinds(entries: list[str], patches: list[Patch]) -> dict[str, str]:
    """'dir' or 'file' per entry, from the patches' paths: `six.py` itself is a file."""
    kinds = {entry: "dir" for entry in entries}
    for patch in patches:
        for relative in patch.files:
            if "/" not in relative and relative in kinds:
                kinds[relative] = "file"
    return kinds


def _check_entries(entries: list[str], patches: list[Patch]) -> None:
    for patch in patches:
        if not patch.diffs:
            raise Failure(f"{patch.path}: no file diff ('--- '/'+++ ' header) in it")
        for relative in patch.files:
            entry = relative.split("/", 1)[0]
            if entry not in entries:
                raise Failure(f"{patch.path}: it changes {relative}, but this pod mounts a "
                              f"patched copy of {', '.join(entries) or 'nothing'} only: render "
                              "the release again (osh-postrender) so that its pods mount "
                              f"{entry} too")


def _clear(output: str) -> None:
    """A rerun (a restarted pod) starts from fresh copies: nothing of a former run stays."""
    for name in os.listdir(output):
        path = os.path.join(output, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def copy_entries(site: str | None, output: str, kinds: dict[str, str]) -> list[str]:
    """Copy each entry out of site-packages; the ones it lacks get a placeholder.

    The pod mounts every entry, and a mount of an empty directory where the
    image has no such package would make it an importable namespace package.
    A placeholder of the other kind is invisible to Python's import system: a
    file without a module suffix for a package, a directory for `name.py`.
    """
    missing = []
    for entry, kind in kinds.items():
        source = os.path.join(site, entry) if site else ""
        target = os.path.join(output, entry)
        if site and os.path.isdir(source):
            shutil.copytree(source, target, symlinks=True)
        elif site and os.path.isfile(source):
            shutil.copy2(source, target)
        else:
            missing.append(entry)
            if kind == "file":
                os.mkdir(target)
            else:
                open(target, "x").close()
    return missing


def _site_packages(venv: str, link: str, argv: list[str]) -> str | None:
    """The venv's purelib, as its own Python's sysconfig says; None without a Kolla venv.

    Runs this program again with the venv's Python when another one started it.
    """
    if not os.path.isdir(venv):
        return None
    if os.path.realpath(sys.prefix) != os.path.realpath(venv):
        python = os.path.join(venv, "bin", "python3")
        if os.environ.get(_REEXEC) == venv or not os.access(python, os.X_OK):
            raise Failure(f"{python} is not a Python of the venv {venv}: cannot find its "
                          "site-packages")
        os.environ[_REEXEC] = venv
        os.execv(python, [python, os.path.abspath(__file__), *argv])
    site = sysconfig.get_path("purelib")
    mounted = os.path.join(venv, link)
    if os.path.realpath(mounted) != os.path.realpath(site):
        raise Failure(f"the pod mounts the patched copies under {mounted}, but this image's "
                      f"site-packages is {site} (no {venv}/lib/python3 symlink: a Kolla "
                      "image older than 2025.1?); its containers would run unpatched code")
    return site


def _report(results: list[Result], site: str) -> None:
    for result in results:
        if result.outcome == SKIPPED:
            log(f"{result.patch.path}: skipped (first file {result.file or '?'} not in {site})")
        elif result.outcome == CONFLICT:
            raise Failure(f"{result.patch.path}: conflict in {result.file}: it does not "
                          f"apply to {site}/{result.file}, nor is it already applied "
                          f"({result.detail}); refusing to start")
        else:
            log(f"{result.patch.path}: {result.outcome}")


def take_over(tree: str, output: str, results: list[Result]) -> None:
    """Put the files the applied patches changed in `tree` into the copies in
    `output`; a file a patch deleted goes."""
    for result in results:
        if result.outcome != APPLIED:
            continue
        for relative in result.patch.files:
            source, target = os.path.join(tree, relative), os.path.join(output, relative)
            directory = os.path.dirname(target)
            os.makedirs(directory, exist_ok=True)
            os.chmod(directory, os.stat(directory).st_mode | 0o200)  # the image's mode may forbid it
            if os.path.lexists(target):
                os.unlink(target)
            if os.path.isfile(source):
                shutil.copy2(source, target)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="hotfix-init.py", description="Copy site-packages entries and patch the copies.")
    parser.add_argument("entries", nargs="*", metavar="ENTRY",
                        help="top-level entries of site-packages that the patches change")
    parser.add_argument("--venv", default=KOLLA_VENV)
    parser.add_argument("--site-packages-link", default=SITE_PACKAGES_LINK,
                        help="where the pod mounts the copies, relative to the venv")
    parser.add_argument("--patches", default=PATCH_DIRS, help="glob of the patch dirs")
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args(argv)
    scratch = os.path.join(args.output, SCRATCH)
    try:
        started = time.monotonic()
        site = _site_packages(args.venv, args.site_packages_link, argv)
        patches = find_patches(args.patches)
        _check_entries(args.entries, patches)
        _clear(args.output)
        cleared = time.monotonic()
        tree = os.path.join(scratch, "tree")
        results: list[Result] = []
        if site is not None and patches:
            if shutil.which("patch") is None:
                raise Failure("GNU patch is not installed in this image; cannot apply the hot-fixes")
            # Judged on a scratch copy of the files the patches name, before the
            # packages are copied: a conflict fails the pod in a moment, and
            # each restart of a failing init container stays as cheap.
            copy_named_files(site, patches, tree)
            results = judge(tree, patches, os.path.join(scratch, "work"))
            _report(results, site)
        judged = time.monotonic()
        missing = copy_entries(site, args.output, _entry_kinds(args.entries, patches))
        if site is None:
            log(f"no Kolla venv at {args.venv}: this image runs no Python service, "
                "nothing to patch")
            return 0
        for entry in missing:
            log(f"{entry}: not in {site}; its mount gets an empty placeholder, "
                "which Python does not import")
        take_over(tree, args.output, results)
        compile_changed(args.output, results)
        if not patches:
            log(f"no patches under {args.patches}: the copies are unpatched")
            return 0
        counts = {outcome: sum(r.outcome == outcome for r in results)
                  for outcome in (APPLIED, ALREADY_APPLIED, SKIPPED)}
        log(f"{counts[APPLIED]} applied, {counts[ALREADY_APPLIED]} already applied, "
            f"{counts[SKIPPED]} skipped; patched copies of {', '.join(args.entries)} from "
            f"{site} (former copy removed in {cleared - started:.1f} s, patches judged in "
            f"{judged - cleared:.1f} s, copied and patched in {time.monotonic() - judged:.1f} s)")
        return 0
    except Failure as err:
        log(f"error: {err}")
        return 1
    except OSError as err:  # a copy or write that failed: the message names the path
        log(f"error: {err}")
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
