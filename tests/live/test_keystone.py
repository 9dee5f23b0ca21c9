"""Keystone of europe-example-region with its PostgreSQL, plus RabbitMQ and
Memcached, installed for real through osh-postrender, and a token from it."""
from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIVE = str(ROOT / "tools" / "live")


def live(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([LIVE, *args], capture_output=True, text=True, timeout=timeout)


def test_keystone_and_its_infrastructure_become_ready_and_issue_a_token(kube):
    install = live("install", "europe-example-region",
                   "--only", "postgresql,rabbitmq,memcached,keystone", "--timeout", "1200")
    assert install.returncode == 0, install.stderr[-3000:]
    pods = kube.json("-n", "openstack", "get", "pods")["items"]
    names = {p["metadata"]["labels"].get("app.kubernetes.io/name") for p in pods}
    assert {"keystone", "postgresql", "rabbitmq", "memcached"} <= names
    for pod in pods:
        phase = pod["status"]["phase"]
        assert phase in ("Running", "Succeeded"), f"{pod['metadata']['name']}: {phase}"
        for status in pod["status"].get("containerStatuses", []):
            assert status["restartCount"] <= 2, f"{pod['metadata']['name']}/{status['name']}"

    token = live("openstack", "token", "issue", "-f", "value", "-c", "id", timeout=300)
    assert token.returncode == 0, token.stderr[-2000:]
    assert token.stdout.strip().startswith("gAAAAA"), token.stdout  # a Fernet token
