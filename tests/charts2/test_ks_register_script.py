"""The Keystone registration script, run by sh against a stand-in
`openstack` command: it waits for Keystone instead of failing, and every
service's Job may create the shared project and roles at once (one of them
gets a conflict, then finds what the other made)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.charts2.conftest_a import job, kolla_files, render, values_a

# The stand-in client: each call is logged; `token issue` fails until
# $TOKEN_AFTER calls have been made; a project or role is missing at its
# first show, its create is a conflict (another Job made it), and later shows
# find it.
FAKE_CLIENT = r"""#!/bin/sh
echo "$*" >> "$STATE/calls"
count() { n=$(grep -c "^$1" "$STATE/calls" || true); echo "$n"; }
case "$1 $2" in
  "token issue") [ "$(count 'token issue')" -gt "$TOKEN_AFTER" ] || exit 1 ;;
  "project show"|"role show") [ "$(count "$1 show")" -gt 1 ] || exit 1 ;;
  "project create"|"role create") echo "Conflict occurred (HTTP 409)" >&2; exit 1 ;;
  "user show") exit 1 ;;
esac
exit 0
"""


@pytest.fixture(scope="module")
def script(tree_a, tmp_path_factory) -> str:
    objects = render(tree_a, "placement", values_a("placement"), tmp_path_factory.mktemp("ks"))
    return kolla_files(objects, job(objects, "placement-ks-register"))["ks-register.sh"]


def run(script: str, tmp_path: Path, token_after: int) -> tuple[subprocess.CompletedProcess, list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "openstack").write_text(FAKE_CLIENT)
    (bin_dir / "sleep").write_text("#!/bin/sh\nexit 0\n")  # no real waiting in a test
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    (tmp_path / "script.sh").write_text(script)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "STATE": str(tmp_path),
           "TOKEN_AFTER": str(token_after), "OSH_SERVICE_USER": "placement",
           "OSH_SERVICE_PASSWORD": "secret", "OSH_ROLES": "admin service",
           "OSH_SERVICES": "placement|placement|Placement API",
           "OSH_ENDPOINTS": "placement|internal|http://placement-api:8778",
           "OS_REGION_NAME": "RegionOne"}
    result = subprocess.run(["sh", str(tmp_path / "script.sh")], env=env, capture_output=True,
                            text=True, timeout=120)
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    return result, calls


def test_waits_for_keystone_and_survives_another_job_creating_the_project_and_roles(script, tmp_path):
    result, calls = run(script, tmp_path, token_after=3)
    assert result.returncode == 0, result.stderr
    assert [c for c in calls if c.startswith("token issue")] == ["token issue -f value -c id"] * 4
    assert sum(c.startswith("project create") for c in calls) == 1
    assert sum(c.startswith("role create") for c in calls) == 1
    assert any(c.startswith("user create --domain default --password secret placement") for c in calls)
    assert any(c.startswith("endpoint create --region RegionOne placement internal") for c in calls)


def test_gives_up_after_ten_minutes_without_a_token(script, tmp_path):
    result, calls = run(script, tmp_path, token_after=10_000)
    assert result.returncode != 0
    assert sum(c.startswith("token issue") for c in calls) == 121
    assert not [c for c in calls if not c.startswith("token issue")]
