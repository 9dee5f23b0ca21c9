"""tools/live: the command line of the live cluster (docs/live.md)."""
from __future__ import annotations

import argparse
import importlib
import sys

from osh_live.proc import LiveError

# command -> (module, help); each module has `add_arguments(parser)` and `main(args)`.
COMMANDS = {
    "up": ("osh_live.cluster", "build what is missing, then start the cluster"),
    "down": ("osh_live.cluster", "stop the cluster and remove every trace of it but the cache"),
    "status": ("osh_live.cluster", "what runs, and whether the node is Ready"),
    "kubeconfig": ("osh_live.cluster", "print the path of the admin kubeconfig"),
    "images": ("osh_live.images", "build the Kolla and infrastructure images"),
    "install": ("osh_live.install", "install a region chart through osh-postrender"),
    "openstack": ("osh_live.openstack", "run the openstack client in the cluster"),
    "test": ("osh_live.livetest", "run the live test suite (tests/live)"),
    "scale": ("osh_live.scale", "simulated nodes with KWOK and a large region"),
    "guest-image": ("osh_live.guestimage", "build a small guest (kernel, initrd, disk) for Glance"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/live", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    argv = sys.argv[1:] if argv is None else argv
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        # Only the chosen command's module is imported: `down` must work
        # even when what `images` needs is missing.
        if argv and argv[0] == name:
            module = importlib.import_module(module_name)
            module.add_arguments(command, name)
            command.set_defaults(run=module.main)
    args, rest = parser.parse_known_args(argv)
    args.rest = rest
    args.argv = argv
    if rest and args.command not in ("openstack", "test"):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return args.run(args) or 0
    except LiveError as error:
        print(f"live: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
