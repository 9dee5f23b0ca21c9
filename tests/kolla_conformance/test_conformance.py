"""Every Kolla container of europe-example-region, rendered through
osh-postrender, against Kolla 2025.1's own image definitions (the kolla
20.6.0 wheel, tests/kolla_conformance/requirements.txt):

1. its image is one of Kolla's (docker/<service>/<image>/Dockerfile.j2);
2. the command that runs (the container's command, or config.json's for
   kolla_start) is in the image: COPYed or made by its Dockerfiles, a console
   script of the Python release it installs (the release's wheel from PyPI),
   or in a Debian package it installs (the .deb's file list, Debian bookworm's
   standing in for Ubuntu noble's);
3. the image's extend_start leaves the command alone: no ARGS appended to a
   Job's one-shot command, no service that skips it or exits in it;
4. the image's USER (Kolla's uid/gid table) reaches what it needs: state and
   lock paths on a hostPath are given to it by config.json's permissions, the
   unix sockets it opens let it in, and no single-file subPath mount sits
   inside a Secret or ConfigMap mount.

The packages are fetched on the first run and cached in
.cache/kolla-conformance; later runs read only the cache.
"""
from __future__ import annotations

import pytest

from tests.kolla_conformance import startup
from tests.kolla_conformance.checks import CHECKS

# One id per container: the workload's name without its Job hash, hot-fix
# suffix or node group, and the container's name (pods.case_id).
CASES = [
    "barbican-api/api",
    "barbican-db-sync/db-sync",
    "barbican-keystone-listener/keystone-listener",
    "barbican-ks-register/ks-register",
    "barbican-worker/worker",
    "cinder-api/api",
    "cinder-db-sync/db-sync",
    "cinder-iscsid/iscsid",
    "cinder-ks-register/ks-register",
    "cinder-scheduler/scheduler",
    "cinder-volume-lvm/volume",
    "designate-api/api",
    "designate-central/central",
    "designate-db-sync/db-sync",
    "designate-ks-register/ks-register",
    "designate-mdns/mdns",
    "designate-pool-update/pool-update",
    "designate-producer/producer",
    "designate-worker/worker",
    "glance-api/api",
    "glance-db-sync/db-sync",
    "glance-ks-register/ks-register",
    "horizon/dashboard",
    "ironic-api/api",
    "ironic-conductor/conductor",
    "ironic-conductor/state",
    "ironic-db-sync/db-sync",
    "ironic-ks-register/ks-register",
    "ironic-pxe/bootstrap",
    "ironic-pxe/http",
    "ironic-pxe/tftp",
    "keystone-api/api",
    "keystone-bootstrap/bootstrap",
    "keystone-db-sync/db-sync",
    "manila-api/api",
    "manila-db-sync/db-sync",
    "manila-ks-register/ks-register",
    "manila-scheduler/scheduler",
    "manila-share/share",
    "neutron-db-sync/db-sync",
    "neutron-db-sync/hotfix",
    "neutron-dhcp-agent/dhcp-agent",
    "neutron-dhcp-agent/hotfix",
    "neutron-ironic-agent/ironic-agent",
    "neutron-ironic-agent/wait-keystone-user",
    "neutron-ks-register/ks-register",
    "neutron-l3-agent/hotfix",
    "neutron-l3-agent/l3-agent",
    "neutron-metadata-agent/hotfix",
    "neutron-metadata-agent/metadata-agent",
    "neutron-openvswitch-hypervisor/ovsdb",
    "neutron-openvswitch-hypervisor/vswitchd",
    "neutron-openvswitch/ovsdb",
    "neutron-openvswitch/vswitchd",
    "neutron-ovs-agent-hypervisor/hotfix",
    "neutron-ovs-agent-hypervisor/ovs-agent",
    "neutron-ovs-agent/hotfix",
    "neutron-ovs-agent/ovs-agent",
    "neutron-server/hotfix",
    "neutron-server/server",
    "nova-api/api",
    "nova-api/hotfix",
    "nova-compute-bm-proxy-001/compute",
    "nova-compute-bm-proxy-001/hotfix",
    "nova-compute/compute",
    "nova-compute/hotfix",
    "nova-compute/wait-keystone-user",
    "nova-conductor/conductor",
    "nova-conductor/wait-keystone-user",
    "nova-conductor/hotfix",
    "nova-db-sync/db-sync",
    "nova-db-sync/hotfix",
    "nova-iscsid/iscsid",
    "nova-ks-register/ks-register",
    "nova-libvirt/libvirt",
    "nova-metadata/hotfix",
    "nova-metadata/metadata",
    "nova-novncproxy/hotfix",
    "nova-novncproxy/novncproxy",
    "nova-scheduler/hotfix",
    "nova-scheduler/scheduler",
    "nova-scheduler/wait-keystone-user",
    "placement-api/api",
    "placement-db-sync/db-sync",
    "placement-ks-register/ks-register",
]

# Containers that only the live cluster's values render (overlays/live): the
# chart's own BIND 9 server, and tgtd for cinder's tgtadm target helper.
LIVE_CASES = [
    "cinder-volume-lvm/tgtd",
    "designate-bind9/bind9",
]

# Defects of the charts these checks find, until the charts are fixed
# (strict: a fixed chart fails here until its line goes). Issue 13's
# blockers 2, 3, 5 and 6 were listed here and are fixed.
XFAIL: dict[tuple[str, str], str] = {
    # (check, case): the chart defect that makes the case fail, until it is fixed.
}


def cases(check: str) -> list:
    return [pytest.param(case, id=case, marks=[pytest.mark.xfail(strict=True, reason=XFAIL[check, case])]
                         if (check, case) in XFAIL else [])
            for case in CASES]


def problems(region, check: str, case: str) -> list[str]:
    containers = [c for c in region.containers if c.id == case]
    assert containers, f"{case}: no such Kolla container in the region"
    return [p for c in containers for p in CHECKS[check](c, region)]


def test_every_kolla_container_of_the_region_is_a_case(region):
    rendered = {c.id for c in region.containers}
    assert rendered == set(CASES), (f"not cases: {sorted(rendered - set(CASES))}; "
                                    f"not rendered: {sorted(set(CASES) - rendered)}")
    assert {case for _check, case in XFAIL} <= set(CASES)


def test_kolla_start_sh_is_what_the_extend_start_model_assumes():
    """startup.py models start.sh; a Kolla that changes it must fail here first."""
    text = startup.start_sh()
    missing = [line for line in startup.START_SH_MODEL if line not in text]
    assert not missing, f"Kolla's start.sh no longer has {missing}"


def test_every_live_only_container_is_a_live_case(region, live_region):
    added = {c.id for c in live_region.containers} - {c.id for c in region.containers}
    assert added == set(LIVE_CASES)


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("case", LIVE_CASES)
def test_live_only_container_conforms(live_region, case, check):
    assert not (found := problems(live_region, check, case)), "\n".join(found)


@pytest.mark.parametrize("case", cases("image"))
def test_container_image_is_a_kolla_image(region, case):
    assert not (found := problems(region, "image", case)), "\n".join(found)


@pytest.mark.parametrize("case", cases("command"))
def test_container_command_is_installed_in_its_image(region, case):
    assert not (found := problems(region, "command", case)), "\n".join(found)


@pytest.mark.parametrize("case", cases("extend_start"))
def test_image_extend_start_leaves_the_command_alone(region, case):
    assert not (found := problems(region, "extend_start", case)), "\n".join(found)


@pytest.mark.parametrize("case", cases("user"))
def test_image_user_reaches_what_the_container_needs(region, case):
    assert not (found := problems(region, "user", case)), "\n".join(found)


@pytest.mark.parametrize("case", cases("probes"))
def test_exec_probes_run_what_the_image_has(region, case):
    assert not (found := problems(region, "probes", case)), "\n".join(found)
