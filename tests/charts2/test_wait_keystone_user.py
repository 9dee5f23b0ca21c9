"""osh-lib.wait-keystone-user, the init container of nova's conductor and
scheduler and of neutron's ironic-neutron-agent: its rendered command, run by
the 2025.1 releases' Python (the keystoneauth1 the nova image has) against a
stand-in Keystone, waits through 401s until the user gets a token, with the
credentials of the rendered nova.conf ([keystone_authtoken]) or
ironic_neutron_agent.ini ([ironic])."""
from __future__ import annotations

import json
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests import releases
from tests.charts2.conftest_a import kolla_files, named, pod_spec, render, values_a

pytestmark = pytest.mark.releases


# What every token's catalog holds: Keystone itself.
IDENTITY = [{"type": "identity", "name": "keystone", "id": "s0", "endpoints": [
    {"id": "e0", "interface": "internal", "region": "any", "region_id": "any",
     "url": "http://keystone.invalid/v3"}]}]


class Keystone(BaseHTTPRequestHandler):
    """Version discovery at /, and /v3/auth/tokens refusing the first
    `refusals` requests with 401."""
    refusals = 0
    requests: list[dict] = []
    # Tokens after the refusals come with an empty catalog this many times,
    # then with `catalog` (a registration Job adding its endpoint meanwhile).
    bare = 0
    catalog: list[dict] = []

    def log_message(self, *args):
        pass

    def reply(self, code: int, body: dict, headers: dict | None = None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_port}"
        self.reply(300, {"versions": {"values": [
            {"id": "v3.14", "status": "stable", "links": [{"rel": "self", "href": f"{base}/v3/"}]}]}})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        if len(type(self).requests) <= type(self).refusals:
            return self.reply(401, {"error": {"code": 401, "message": "The request you have made requires authentication."}})
        user = body["auth"]["identity"]["password"]["user"]
        self.reply(201, {"token": {
            "methods": ["password"], "expires_at": "2099-01-01T00:00:00.000000Z",
            "issued_at": "2026-01-01T00:00:00.000000Z",
            "user": {"id": "u1", "name": user["name"], "domain": {"id": "default", "name": "Default"}},
            "project": {"id": "p1", "name": "service", "domain": {"id": "default", "name": "Default"}},
            "roles": [{"id": "r1", "name": "service"}],
            "catalog": IDENTITY if len(type(self).requests) <= type(self).refusals + type(self).bare
            else IDENTITY + type(self).catalog}},
            {"X-Subject-Token": "token"})


@pytest.fixture()
def keystone():
    server = HTTPServer(("127.0.0.1", 0), Keystone)
    Keystone.requests, Keystone.bare, Keystone.catalog = [], 0, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def conductor(tree_a, tmp_path_factory):
    objects = render(tree_a, "nova", values_a("nova"), tmp_path_factory.mktemp("wait"))
    deployment = named(objects, "Deployment", "nova-conductor")
    [init] = [c for c in pod_spec(deployment)["initContainers"] if c["name"] == "wait-keystone-user"]
    return init, kolla_files(objects, deployment)


def run(init: dict, files: dict, keystone, tmp_path, refusals: int, timeout: float = 60):
    Keystone.refusals = refusals
    conf = re.sub(r"(?m)^auth_url = .*$", f"auth_url = http://127.0.0.1:{keystone.server_port}",
                  files["nova.conf"])
    path = tmp_path / "nova.conf"
    path.write_text(conf)
    program, flag, script, config_file = init["command"]
    assert (program, flag, config_file) == ("python3", "-c", "/var/lib/kolla/config_files/nova.conf")
    # The 5 s between tries is the container's; here, none.
    script = script.replace("time.sleep(5)", "time.sleep(0)")
    return releases.run(["-c", script, str(path)], timeout=timeout)


def test_waits_through_401_until_the_user_gets_a_token(conductor, keystone, tmp_path):
    init, files = conductor
    result = run(init, files, keystone, tmp_path, refusals=3)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("waiting for Keystone user nova") == 3
    password = values_a("nova")["keystone_password"]
    assert len(Keystone.requests) == 4
    user = Keystone.requests[-1]["auth"]["identity"]["password"]["user"]
    assert (user["name"], user["password"]) == ("nova", password)


def test_the_conductor_and_scheduler_wait_and_the_api_does_not(tree_a, tmp_path):
    objects = render(tree_a, "nova", values_a("nova"), tmp_path)
    waits = {d["metadata"]["name"] for d in objects if d["kind"] == "Deployment"
             and any(c["name"] == "wait-keystone-user" for c in pod_spec(d).get("initContainers") or [])}
    assert waits == {"nova-conductor", "nova-scheduler"}


def test_the_ironic_agent_waits_for_neutrons_user_with_its_ironic_credentials(tree_a, keystone,
                                                                             tmp_path):
    objects = render(tree_a, "neutron", values_a("neutron"), tmp_path)
    deployment = named(objects, "Deployment", "neutron-ironic-agent")
    [init] = pod_spec(deployment)["initContainers"]
    program, flag, script, config_file, section = init["command"]
    assert (program, flag, config_file, section) == \
        ("python3", "-c", "/var/lib/kolla/config_files/ironic_neutron_agent.ini", "ironic")
    Keystone.refusals = 1
    conf = re.sub(r"(?m)^auth_url = .*$", f"auth_url = http://127.0.0.1:{keystone.server_port}",
                  kolla_files(objects, deployment)["ironic_neutron_agent.ini"])
    path = tmp_path / "ironic_neutron_agent.ini"
    path.write_text(conf)
    script = script.replace("time.sleep(5)", "time.sleep(0)")
    result = releases.run(["-c", script, str(path), section], timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("waiting for Keystone user neutron") == 1
    user = Keystone.requests[-1]["auth"]["identity"]["password"]["user"]
    assert (user["name"], user["password"]) == ("neutron", values_a("neutron")["keystone_password"])


def test_the_compute_waits_for_placement_in_its_catalog(tree_a, keystone, tmp_path):
    objects = render(tree_a, "nova", values_a("nova"), tmp_path)
    computes = [d for d in objects if d["kind"] == "DaemonSet"
                and d["metadata"]["labels"]["app.kubernetes.io/component"] == "compute"]
    assert computes
    [init] = [c for c in pod_spec(computes[0])["initContainers"] if c["name"] == "wait-keystone-user"]
    program, flag, script, config_file, section = init["command"]
    assert (config_file, section) == ("/var/lib/kolla/config_files/nova-compute.conf", "placement")
    env = {e["name"]: e["value"] for e in init["env"]}
    region = values_a("nova")["global"]["region"]["name"]
    assert env == {"OSH_WAIT_SERVICES": "placement", "OSH_WAIT_REGION": region}
    scheduler = named(objects, "Deployment", "nova-scheduler")
    [waits] = [c for c in pod_spec(scheduler)["initContainers"] if c["name"] == "wait-keystone-user"]
    assert {e["name"]: e["value"] for e in waits["env"]}["OSH_WAIT_SERVICES"] == "placement"

    base = f"http://127.0.0.1:{keystone.server_port}"
    Keystone.refusals, Keystone.bare = 1, 2
    Keystone.catalog = [{"type": "placement", "name": "placement", "id": "s1", "endpoints": [
        {"id": "e1", "interface": "internal", "region": region, "region_id": region,
         "url": f"{base}/placement"}]}]
    conf = re.sub(r"(?m)^auth_url = .*$", f"auth_url = {base}",
                  kolla_files(objects, computes[0])["nova-compute.conf"])
    path = tmp_path / "nova-compute.conf"
    path.write_text(conf)
    script = script.replace("time.sleep(5)", "time.sleep(0)")
    result = releases.run(["-c", script, str(path), section], timeout=60,
                          env={"OSH_WAIT_SERVICES": env["OSH_WAIT_SERVICES"], "OSH_WAIT_REGION": region})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("waiting for Keystone user nova") == 3
    assert result.stdout.count(f"internal endpoint for placement service in {region} region "
                               "not found") == 2
    assert len(Keystone.requests) == 4
