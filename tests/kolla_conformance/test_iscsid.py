"""iscsid against Kolla's own `iscsid` image (the kolla wheel): the initiator
name its extend_start writes lands on the host's /etc/iscsi, which every
container of the region that attaches iSCSI volumes (nova-compute,
cinder-volume-lvm) shares, on the host network where iscsiadm reaches
iscsid's abstract socket; and it runs as the image's user, root, as
docs/charts.md says and says why."""
from __future__ import annotations

import posixpath
import re

from tests.conftest import ROOT
from tests.kolla_conformance import dockerfile
from tests.kolla_conformance.checks import _host_path, _identity

ISCSID_CASES = {"nova-iscsid/iscsid", "cinder-iscsid/iscsid"}
# os-brick's iSCSI connector runs iscsiadm in these.
CLIENT_CASES = {"nova-compute/compute", "cinder-volume-lvm/volume"}
# open-iscsi's record lock dir (LOCK_DIR), which iscsiadm and iscsid both take.
LOCK_DIR = "/run/lock/iscsi"


def written_by_extend_start() -> set[str]:
    """The absolute paths the iscsid image's extend_start writes with a redirection."""
    text = dockerfile.tree_file("iscsid", "extend_start.sh").read_text()
    return set(re.findall(r">>?\s*(/[^\s;|&]+)", text))


def host_dir(container, path: str) -> str | None:
    """The host dir that holds `path` in `container`, if a writable hostPath mount does."""
    mount = container.mount_at(path)
    if mount is None or mount.get("readOnly"):
        return None
    return _host_path(container, path)


def test_iscsid_extend_start_writes_only_onto_the_hosts_shared_iscsi_dir(region):
    written = written_by_extend_start()
    assert written, "the iscsid image's extend_start writes nothing: the model below is stale"
    iscsids = [c for c in region.containers if c.id in ISCSID_CASES]
    assert {c.id for c in iscsids} == ISCSID_CASES
    clients = [c for c in region.containers if c.id in CLIENT_CASES]
    assert {c.id for c in clients} == CLIENT_CASES
    for path in written | {LOCK_DIR + "/lock"}:
        # The initiator name must outlive the pod, and the clients must read
        # the same one iscsid logs in with.
        hosts = {c.where: host_dir(c, path) for c in iscsids + clients}
        assert None not in hosts.values(), (path, hosts)
        assert set(hosts.values()) == {path}, (path, hosts)
        assert posixpath.dirname(path) in ("/etc/iscsi", LOCK_DIR)


def test_iscsid_and_its_clients_share_the_host_network_for_its_abstract_socket(region):
    for c in region.containers:
        if c.id in ISCSID_CASES | CLIENT_CASES:
            assert c.pod.get("hostNetwork") is True, c.where


def test_iscsid_runs_as_root_and_the_docs_say_why(region):
    iscsids = [c for c in region.containers if c.id in ISCSID_CASES]
    assert iscsids and all(_identity(c)[1] == 0 for c in iscsids)
    docs = (ROOT / "docs" / "charts.md").read_text()
    rows = [line for line in docs.splitlines() if line.startswith("| `nova-iscsid`, `cinder-iscsid` |")]
    assert len(rows) == 1 and "root" in rows[0] and "privileged" in rows[0], rows
    why = docs.split("**Why root and privileged.**", 1)
    assert len(why) == 2 and "uid 0" in why[1].split("\n\n", 1)[0]
