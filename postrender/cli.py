"""Command line: the only place that reads stdin, the environment and exit codes.

The manifests are read whole, every stage runs, and only then is stdout
written, once. On any error stdout stays empty and the exit code says whose
fault it was (see `ExitCode`).
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import traceback
from pathlib import Path

from postrender import __version__, stream
from postrender.diagnostics import LOG_ENV, Channel, Diagnostics, log_path
from postrender.errors import ConfigError, ExitCode, PostRenderError, UsageError
from postrender.overlaydir import OverlayDir

STREAM_NAME = "all.yaml"   # postrender.overlay.STREAM_NAME, not imported: start-up time counts

JOBS_ENV = "OSH_POSTRENDER_JOBS"
DEFAULT_MAX_JOBS = 4

USAGE = """
  osh-postrender [--region NAME | --overlay DIR] [--root DIR] [--stream-name FILE] [--check] < manifests
  osh-postrender [--region NAME | --overlay DIR] place --nodes FILE [-o table|json] < manifests
  osh-postrender patches verify --site-packages DIR [--component C] [--region NAME | --overlay DIR]"""

DESCRIPTION = """\
Helm post-renderer for openstack-helm. Reads the manifests Helm rendered on
stdin and writes them to stdout with the region's overlay applied: kustomize
patches, images, labels and generators; hot-fix patch ConfigMaps and the
init container that applies them to copies mounted over site-packages; node
placement (tolerations, node selection, pinning, zone spread).
With neither --region nor --overlay, the stream passes through unchanged
(parsed and validated)."""

EPILOG = f"""\
environment:
  OSH_REGION        default for --region
  OSH_ROOT          default for --root (then $HELM_PLUGIN_DIR, then the cwd)
  {LOG_ENV}  log file for warnings and errors
                    (default: $XDG_STATE_HOME/osh-postrender/osh-postrender.log)
  {JOBS_ENV}  processes that parse a stream of 1 MB or more
                    (default: the CPUs available, at most {DEFAULT_MAX_JOBS}; 1: no child process)

exit codes:
  0 success   1 internal error   2 usage error   3 input error (the manifests)
  4 configuration error (overlay, policy, patches)   5 --check found violations

Helm 4 discards a post-renderer's stderr: when it reports that the plugin
"exited with error", read the reason in the log file above.

examples:
  helm template r charts/europe-example-region --post-renderer osh-postrender \\
      --post-renderer-args=--region=europe-example-region
  osh-postrender --region europe-example-region --check < manifests.yaml
  osh-postrender --overlay deploy/overlays/eu --root deploy < manifests.yaml
      (a kustomize tree whose base lists all.yaml: the stream stands there)"""


def process_count() -> int:
    value = os.environ.get(JOBS_ENV, "").strip()
    if not value:
        try:
            available = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            available = os.cpu_count() or 1
        return min(available, DEFAULT_MAX_JOBS)
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"{JOBS_ENV}={value!r}: give a number of processes, 1 or more")
    return int(value)


# Each module has register(subparsers): it adds a subparser whose `command`
# default is a function (args, channel) -> (stdout text, exit code).
SUBCOMMANDS = ("postrender.placement.command", "postrender.hotfix.command")


class Parser(argparse.ArgumentParser):
    def error(self, message):  # route usage errors through the same channel as the rest
        raise UsageError(f"{message} (see {self.prog} --help)")


def _file_name(value: str) -> str:
    if not value or "/" in value or value in (".", ".."):
        raise argparse.ArgumentTypeError(f"{value!r} is not a file name (the name a "
                                         "kustomization lists, without a directory)")
    return value


def build_parser() -> Parser:
    parser = Parser(prog="osh-postrender", usage=USAGE, description=DESCRIPTION, epilog=EPILOG,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"osh-postrender {__version__}")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--region", metavar="NAME", default=None,
                        help="apply <root>/overlays/NAME (default: $OSH_REGION)")
    target.add_argument("--overlay", metavar="DIR", type=Path,
                        help="apply the overlay in DIR; only what DIR declares is applied")
    parser.add_argument("--root", metavar="DIR", type=Path,
                        help="project root: overlays/, patches/ and shared policy live here "
                             "(default: $OSH_ROOT, else $HELM_PLUGIN_DIR, else the cwd)")
    parser.add_argument("--stream-name", metavar="FILE", default=STREAM_NAME, type=_file_name,
                        help="the resource file name that stands for the Helm stream in the "
                             "overlay's kustomization tree, wherever it is listed (the file "
                             "itself is never read); listed nowhere, the stream is the top "
                             f"kustomization's first resource (default: {STREAM_NAME})")
    parser.add_argument("--check", action="store_true",
                        help="also enforce the policy checks; warnings that matter become "
                             "errors and every finding is reported before exiting 5")
    parser.set_defaults(command=None)
    subcommands = parser.add_subparsers(title="subcommands (optional; without one, "
                                              "the manifests are post-rendered)",
                                        metavar="COMMAND")
    for module in SUBCOMMANDS:
        importlib.import_module(module).register(subcommands)
    return parser


def project_root(args: argparse.Namespace) -> Path:
    for candidate in (args.root, os.environ.get("OSH_ROOT"), os.environ.get("HELM_PLUGIN_DIR")):
        if candidate:
            return Path(candidate)
    return Path.cwd()


def overlay_dir(args: argparse.Namespace) -> OverlayDir | None:
    root = project_root(args)
    if not root.is_dir():
        raise UsageError(f"project root {root} is not a directory")
    if args.overlay is not None:
        path = args.overlay
    else:
        region = args.region if args.region is not None else os.environ.get("OSH_REGION")
        if not region:
            return None
        if "/" in region or region in (".", ".."):
            raise UsageError(f"--region {region!r}: a region is a name, not a path; use --overlay")
        path = root / "overlays" / region
        if not path.is_dir():
            known = sorted(p.name for p in (root / "overlays").glob("*") if p.is_dir())
            raise ConfigError(f"no region {region!r}: {path} does not exist "
                              f"(regions under {root / 'overlays'}: {', '.join(known) or 'none'})")
    if not path.is_dir():
        raise ConfigError(f"overlay {path} is not a directory")
    return OverlayDir(path, root)


def render(args: argparse.Namespace, channel: Channel) -> list[str]:
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("reads the manifests on stdin; pipe helm's output into it "
                         "or use it as --post-renderer")
    overlay = overlay_dir(args)
    jobs = process_count()
    text = stream.decode(sys.stdin.buffer.read())
    # The cyclic collector stays off until the output is ready, and what was
    # built is frozen then: the objects are trees that live until exit, so a
    # collection, the one at interpreter exit included, would only rescan the
    # stream (linear at 10k docs) and free nothing.
    gc.disable()
    try:
        with stream.Parsing(text, jobs=jobs) as parsing:
            del text  # the documents keep their own slices of it
            # Loading the stages imports most of this package and reads the
            # overlay: done while child processes parse a large stream's tail.
            # A configuration error still wins over an error in the manifests.
            from postrender import pipeline
            stages = pipeline.build(overlay, check_policy=args.check,
                                    stream_name=args.stream_name)
            documents = parsing.documents()
        diagnostics = Diagnostics(check=args.check)
        documents = pipeline.run(stages, documents, diagnostics)
        for note in diagnostics.notes:
            channel.say(f"osh-postrender: {note}")
        for finding in diagnostics.findings:
            level = "error" if finding.strict and args.check else "warning"
            channel.say(f"osh-postrender: {level}: {finding.message}")
        failures = diagnostics.failures()
        if failures:
            raise CheckFailed(f"--check: {len(failures)} finding(s), listed above")
        return stream.emit_pieces(documents)
    finally:
        gc.freeze()
        gc.enable()


class CheckFailed(PostRenderError):
    code = ExitCode.CHECK


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    channel = Channel(argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            output, code = render(args, channel), ExitCode.OK
        else:
            output, code = args.command(args, channel)
    except PostRenderError as err:
        channel.say(f"osh-postrender: error: {err}")
        channel.flush(failed=True)
        return err.code
    except Exception:  # noqa: BLE001 - the edge: a bug must still reach the operator
        for line in traceback.format_exc().rstrip().splitlines():
            channel.say(line)
        channel.say(f"osh-postrender: internal error (a bug); details in {log_path()}")
        channel.flush(failed=True)
        return ExitCode.INTERNAL
    channel.flush(failed=code != ExitCode.OK)
    # Everything is computed by now; writing piece by piece only saves memory.
    pieces = [output] if isinstance(output, str) else output
    if pieces:
        try:
            for piece in pieces:
                sys.stdout.buffer.write(piece.encode("utf-8"))
            sys.stdout.flush()
        except BrokenPipeError:
            return ExitCode.INTERNAL
    return code
