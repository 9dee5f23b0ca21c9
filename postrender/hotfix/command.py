"""`osh-postrender patches verify`: will the region's hot-fixes apply to a new image?

The patches are those the region's hotfix.yaml declares (--region, --overlay,
--root as for rendering). Each is judged against a site-packages tree copied
out of the image; nothing under that tree is ever written.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from postrender import cli
from postrender.errors import ConfigError, ExitCode, UsageError

HELP = """\
Judge every hot-fix patch of the region against an image's site-packages, as
the hot-fix init container would at pod start: each patch applies, is already
applied, is skipped (its first file is not in this tree: another package or
release), or conflicts. Each component's patches are applied in order to a
scratch copy, so a patch that builds on an earlier one is judged correctly.

--site-packages takes a venv (a dir with pyvenv.cfg, such as a copy of
/var/lib/kolla/venv), an image's root file system (it holds
var/lib/kolla/venv), or site-packages itself. A venv's site-packages is the
one its own Python's sysconfig gives (purelib), read from its pyvenv.cfg.

The patches are the ones the overlay's hotfix.yaml declares; name the region
with --region or --overlay (here or before 'patches').

exit codes: 0 no conflict   5 at least one conflict   2 usage   4 bad patches

example, before rolling out a new nova image:
  docker cp $(docker create quay.io/openstack.kolla/nova-compute:2025.1-ubuntu-noble):\\
/var/lib/kolla/venv /tmp/venv
  osh-postrender patches verify --region europe-example-region \\
      --site-packages /tmp/venv --component nova"""


def register(subparsers) -> None:
    patches = subparsers.add_parser("patches", help="hot-fix patch tools (verify)")
    patches.set_defaults(command=_missing_action(patches))
    actions = patches.add_subparsers(title="actions", metavar="ACTION")
    run = actions.add_parser("verify", help="check the region's patches against site-packages",
                             description=HELP,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--site-packages", metavar="DIR", type=Path, required=True,
                     help="site-packages, a venv holding it, or an image's root file system "
                          "holding the Kolla venv")
    run.add_argument("--component", metavar="C",
                     help="only this component's patches (a dir name under the patch dirs)")
    target = run.add_mutually_exclusive_group()
    target.add_argument("--region", metavar="NAME", default=argparse.SUPPRESS,
                        help="the region whose hotfix.yaml names the patch dirs")
    target.add_argument("--overlay", metavar="DIR", type=Path, default=argparse.SUPPRESS,
                        help="an overlay dir holding hotfix.yaml")
    run.add_argument("--root", metavar="DIR", type=Path, default=argparse.SUPPRESS,
                     help="the project root (as for rendering)")
    run.set_defaults(command=verify_command)


def _missing_action(parser):
    def command(args, channel):
        raise UsageError("patches: name an action: verify")
    return command


def verify_command(args: argparse.Namespace, channel) -> tuple[str, int]:
    # Imported here: the command line registers this command on every run.
    from postrender.hotfix import catalog as catalog_module
    from postrender.hotfix import verify

    overlay = cli.overlay_dir(args)
    if overlay is None:
        raise UsageError("patches verify: name the region (--region or $OSH_REGION) or --overlay")
    site = args.site_packages
    if not site.is_dir():
        raise UsageError(f"--site-packages {site}: not a directory")
    if shutil.which("patch") is None:
        raise UsageError("patches verify needs GNU patch on PATH, as the init container does")
    catalog = catalog_module.load(overlay)
    if catalog is None:
        raise ConfigError(f"overlay {overlay.display(overlay.path)} has no "
                          f"{catalog_module.FILE}: it declares no hot-fix patches")
    components = sorted(catalog.patches)
    if args.component is not None:
        if args.component not in catalog.patches:
            raise ConfigError(f"no patches for component {args.component!r} "
                              f"(components with patches: {', '.join(components) or 'none'})",
                              file=catalog.file)
        components = [args.component]
    site = verify.site_packages(site)
    lines, conflicts = [], 0
    for component in components:
        for result in verify.verify(site, catalog.patches[component]):
            line = f"{result.patch.path}: {result.outcome.value}"
            if result.outcome is verify.Outcome.SKIPPED:
                line += f": {result.detail}"
            elif result.outcome is verify.Outcome.CONFLICT:
                conflicts += 1
                line += f": {result.detail}" if result.detail else ""
            lines.append(line)
    lines.append(f"{len(lines)} patch(es), {conflicts} conflict(s), against {site}")
    return "\n".join(lines) + "\n", ExitCode.CHECK if conflicts else ExitCode.OK
