"""tools/live images: build the Kolla images the region runs, with
kolla-build on a local Debian base image, and the infrastructure images from
Debian's packages; print their references. Also loads images into the
cluster's containerd (load()), for osh_live.cluster.
"""
from __future__ import annotations

import contextlib
import fcntl
import re
import time

from osh_live import baseimage, host, imagecheck, infra, kollabuild, kollaconfig, paths
from osh_live.proc import LiveError, say
from osh_live.imageload import load  # noqa: F401  (the cluster's entry point)

# The Kolla images europe-example-region runs, in the order they are needed
# (others wait on the first ones): keystone and the client image, then the
# node agents and compute, then the rest.
KOLLA_FIRST = ["keystone", "kolla-toolbox"]
KOLLA_NEXT = [
    "openvswitch-db-server", "openvswitch-vswitchd",
    "neutron-server", "neutron-openvswitch-agent", "neutron-dhcp-agent",
    "neutron-l3-agent", "neutron-metadata-agent", "ironic-neutron-agent",
    "nova-api", "nova-conductor", "nova-scheduler", "nova-novncproxy",
    "nova-compute", "nova-compute-ironic", "nova-libvirt", "placement-api",
]
KOLLA_REST = [
    "glance-api",
    "cinder-api", "cinder-scheduler", "cinder-volume", "iscsid", "tgtd",
    "manila-api", "manila-scheduler", "manila-share",
    "barbican-api", "barbican-keystone-listener", "barbican-worker",
    "designate-api", "designate-central", "designate-mdns", "designate-producer",
    "designate-worker", "designate-backend-bind9",
    "ironic-api", "ironic-conductor", "ironic-pxe",
    "horizon",
]
KOLLA_IMAGES = KOLLA_FIRST + KOLLA_NEXT + KOLLA_REST


def add_arguments(parser, name: str) -> None:
    parser.add_argument("--only", metavar="REGEX",
                        help="only the images whose name matches REGEX (re.search)")
    parser.add_argument("--list", action="store_true",
                        help="print the image references and whether each is built; build nothing")
    parser.add_argument("--check", action="store_true",
                        help="after building, run the start path of keystone, kolla-toolbox and "
                             "the infrastructure images under podman, with a client connecting")


def built_refs() -> list[str]:
    """The references of every image of the region that podman has built."""
    ids = host.image_ids()
    return [ref for ref in [kollaconfig.ref(n) for n in KOLLA_IMAGES]
            + [infra.ref(n) for n in infra.IMAGES] if ref in ids]


def selected(names: list[str], pattern: str | None) -> list[str]:
    return [n for n in names if pattern is None or re.search(pattern, n)]


def main(args) -> int:
    started = time.monotonic()
    kolla = selected(KOLLA_IMAGES, args.only)
    infras = selected(list(infra.IMAGES), args.only)
    if not kolla and not infras:
        raise LiveError(f"no image matches {args.only!r}")
    if args.list:
        ids = host.image_ids()
        for ref in [kollaconfig.ref(n) for n in kolla] + [infra.ref(n) for n in infras]:
            print(f"{ref}\t{'built' if ref in ids else 'missing'}")
        return 0
    with _one_build_at_a_time():
        refs = _build(kolla, infras)
    for ref in refs:
        print(ref)
    say(f"images ready in {time.monotonic() - started:.0f} s")
    if args.check:
        results = imagecheck.run(kolla + infras)
        if any(r.startswith("FAILED") for r in results.values()):
            raise LiveError("some image checks failed (above)")
    return 0


@contextlib.contextmanager
def _one_build_at_a_time():
    """Builds share kolla-build's work directory and the podman service's
    socket: a second `tools/live images` waits for the first."""
    with (paths.cache() / "images.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another image build runs; waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _build(kolla: list[str], infras: list[str]) -> list[str]:
    host.ensure_podman()
    baseimage.ensure()
    refs = []
    # Keystone and kolla-toolbox first, the infrastructure next (both are
    # what a first install needs), then the node agents and compute, then
    # the rest: one kolla-build each, as kolla-build orders its own queue.
    plan = kollabuild.Plan(KOLLA_IMAGES) if kolla else None
    for group in (KOLLA_FIRST, None, KOLLA_NEXT, KOLLA_REST):
        if group is None:
            refs += infra.build(infras) if infras else []
        elif names := [n for n in kolla if n in group]:
            refs += kollabuild.build(plan, names)
    return refs
