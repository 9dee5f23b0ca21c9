"""tools/live images --check: each built image's start path, without a
cluster. An image runs under podman as the charts run it (user, arguments,
environment, mounted files), and a client connects with the credentials the
charts would pass; Kolla images start through kolla_start with a config.json
mounted at /var/lib/kolla/config_files (KOLLA_CONFIG_STRATEGY=COPY_ALWAYS).
Nothing is left behind: containers, the network and the files are removed.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from osh_live import infra, kollaconfig, paths
from osh_live.proc import LiveError, say

NETWORK = "osh-live-check"
# Passwords with the characters that break careless quoting.
ADMIN_PASSWORD = "ad'min\\pw\"x"
SERVICE_PASSWORD = "se'rv\\ice"
CHARTS = paths.ROOT / "charts"


def _podman(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise LiveError(f"podman {' '.join(args[:3])}… exited {result.returncode}: "
                        f"{(result.stdout + result.stderr)[-2000:]}")
    return result


def _until(probe, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while probe().returncode != 0:
        if time.monotonic() > deadline:
            raise LiveError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(2)


def _server(name: str, ref: str, options: list[str], arguments: list[str]) -> str:
    _podman("run", "-d", "--name", name, "--network", NETWORK, "--hostname", name,
            *options, ref, *arguments)
    return name


def _data(work: Path, uid: int) -> str:
    """An empty data directory owned by `uid`, as a fresh volume with the
    chart's fsGroup is writable by it."""
    path = work / "data"
    path.mkdir(parents=True, exist_ok=True)
    shutil.chown(path, uid, uid)
    return str(path)


def _kolla(ref: str, config: dict, files: dict[str, str], env: dict[str, str], work: Path,
           timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a Kolla image's entrypoint with `config` as its config.json."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "config.json").write_text(json.dumps(config))
    for name, text in files.items():
        (work / name).write_text(text)
    env_args = [a for k, v in {"KOLLA_CONFIG_STRATEGY": "COPY_ALWAYS", **env}.items()
                for a in ("-e", f"{k}={v}")]
    return _podman("run", "--rm", *env_args, "-v", f"{work}:/var/lib/kolla/config_files:ro",
                   ref, check=False, timeout=timeout)


def check_keystone(work: Path) -> str:
    ref = kollaconfig.ref("keystone")
    version = _kolla(ref, {"command": "keystone-manage --version", "config_files": []}, {},
                     {"KOLLA_SKIP_EXTEND_START": "1"}, work / "version")
    if version.returncode != 0:
        raise LiveError(f"keystone-manage --version: {version.stdout[-1500:]}{version.stderr[-1500:]}")
    # The image's own bootstrap path (extend_start with KOLLA_BOOTSTRAP),
    # against a file database: migrations, drivers and sudo all run.
    config = {"command": "keystone-manage --config-file /etc/keystone/keystone.conf db_sync",
              "config_files": [{"source": "/var/lib/kolla/config_files/keystone.conf",
                                "dest": "/etc/keystone/keystone.conf",
                                "owner": "keystone", "perm": "0600"}]}
    sync = _kolla(ref, config, {"keystone.conf": "[database]\nconnection = sqlite:////tmp/k.db\n"},
                  {"KOLLA_BOOTSTRAP": ""}, work / "db-sync", timeout=600)
    if sync.returncode != 0:
        raise LiveError(f"keystone db_sync (KOLLA_BOOTSTRAP): {sync.stderr[-2000:]}")
    return f"keystone-manage --version: {version.stdout.strip().splitlines()[-1]}; db_sync through KOLLA_BOOTSTRAP: ok"


def check_kolla_toolbox(work: Path) -> str:
    result = _kolla(kollaconfig.ref("kolla-toolbox"),
                    {"command": "openstack --version", "config_files": []}, {}, {}, work / "toolbox")
    if result.returncode != 0:
        raise LiveError(f"openstack --version: {result.stdout[-1500:]}{result.stderr[-1500:]}")
    return result.stdout.strip().splitlines()[-1]


def check_postgres(work: Path) -> str:
    ref = infra.ref("postgres")
    server = _server("osh-check-postgres", ref, [
        "--user", "999:999",
        "-v", f"{_data(work, 999)}:/var/lib/postgresql/data",
        "-e", f"POSTGRES_PASSWORD={ADMIN_PASSWORD}",
        "-e", "PGDATA=/var/lib/postgresql/data/pgdata"], ["-c", "max_connections=500"])
    _until(lambda: _podman("exec", server, "pg_isready", "-q", "-h", "127.0.0.1", "-U", "postgres",
                           check=False), "postgres")
    client = ["run", "--rm", "--network", NETWORK, "--user", "999:999", "--entrypoint", "/bin/sh"]
    db_init = [*client, "-e", f"PGHOST={server}", "-e", "PGUSER=postgres",
               "-e", f"PGPASSWORD={ADMIN_PASSWORD}", "-e", "DB_NAME=nova_api", "-e", "DB_USER=nova_api",
               "-e", f"DB_PASSWORD={SERVICE_PASSWORD}",
               "-v", f"{CHARTS / 'postgresql/files'}:/var/lib/osh/db-init:ro",
               ref, "/var/lib/osh/db-init/db-init.sh"]
    _podman(*db_init)
    _podman(*db_init)  # idempotent
    login = _podman(*client, "-e", f"PGPASSWORD={SERVICE_PASSWORD}", ref, "-c",
                    f"psql -h {server} -U nova_api -d nova_api -Atc "
                    "\"SELECT current_setting('max_connections'), "
                    "pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'nova_api'\"")
    return f"db-init twice, service login over TCP: max_connections|encoding = {login.stdout.strip()}"


def check_mariadb(work: Path) -> str:
    ref = infra.ref("mariadb")
    server = _server("osh-check-mariadb", ref, [
        "--user", "999:999", "-v", f"{_data(work, 999)}:/var/lib/mysql",
        "-e", f"MARIADB_ROOT_PASSWORD={ADMIN_PASSWORD}"], [])
    _until(lambda: _podman("exec", server, "healthcheck.sh", "--connect", "--innodb_initialized",
                           check=False), "mariadb")
    client = ["run", "--rm", "--network", NETWORK, "--user", "999:999", "--entrypoint", "/bin/sh"]
    db_init = [*client, "-e", f"DB_HOST={server}", "-e", f"MYSQL_PWD={ADMIN_PASSWORD}",
               "-e", "DB_NAME=designate", "-e", "DB_USER=designate",
               "-e", f"DB_PASSWORD={SERVICE_PASSWORD}",
               "-v", f"{CHARTS / 'mariadb/files'}:/var/lib/osh/db-init:ro",
               ref, "/var/lib/osh/db-init/db-init.sh"]
    _podman(*db_init)
    _podman(*db_init)
    login = _podman(*client, "-e", f"MYSQL_PWD={SERVICE_PASSWORD}", ref, "-c",
                    f"mariadb -h {server} -u designate designate -N -e "
                    "'SELECT @@character_set_database, VERSION()'")
    return f"db-init twice, service login over TCP: {login.stdout.strip()}"


def _rabbitmq_etc(work: Path) -> Path:
    """The chart's /etc/rabbitmq: its files, and definitions with a test user."""
    etc = work / "rabbitmq-etc"
    etc.mkdir(parents=True, exist_ok=True)
    conf = (CHARTS / "rabbitmq/files/rabbitmq.conf").read_text()
    (etc / "rabbitmq.conf").write_text(conf.replace("{{ .Values.memory_high_watermark }}", "0.6"))
    shutil.copy(CHARTS / "rabbitmq/files/enabled_plugins", etc / "enabled_plugins")
    users = [{"name": "nova", "password": SERVICE_PASSWORD, "tags": []}]
    (etc / "definitions.json").write_text(json.dumps({
        "users": users, "vhosts": [{"name": "openstack"}],
        "permissions": [{"user": "nova", "vhost": "openstack", "configure": ".*",
                         "write": ".*", "read": ".*"}]}))
    for path in etc.iterdir():
        path.chmod(0o444)
    return etc


def check_rabbitmq(work: Path) -> str:
    ref = infra.ref("rabbitmq")
    etc = _rabbitmq_etc(work)
    server = _server("osh-check-rabbitmq", ref, [
        "--user", "999:999", "-v", f"{_data(work, 999)}:/var/lib/rabbitmq",
        "-e", "RABBITMQ_ENABLED_PLUGINS_FILE=/etc/rabbitmq/enabled_plugins",
        "-v", f"{etc}:/etc/rabbitmq:ro"], [])
    _until(lambda: _podman("exec", server, "rabbitmq-diagnostics", "-q", "check_port_connectivity",
                           check=False), "rabbitmq", timeout=300)
    _podman("exec", server, "rabbitmq-diagnostics", "-q", "ping")
    # An AMQP client: kombu, as oslo.messaging uses it, from the keystone image.
    code = ("import kombu, urllib.parse as u; "
            f"c = kombu.Connection('amqp://nova:' + u.quote({SERVICE_PASSWORD!r}, safe='') + '@{server}:5672/openstack'); "
            "q = c.SimpleQueue('osh-live-check'); q.put('hello'); m = q.get(timeout=10); "
            "print('amqp round trip:', m.payload); m.ack(); q.close(); c.release()")
    client = _podman("run", "--rm", "--network", NETWORK, "--entrypoint",
                     "/var/lib/kolla/venv/bin/python", kollaconfig.ref("keystone"), "-c", code,
                     check=False)
    if client.returncode != 0:
        raise LiveError(f"rabbitmq: the AMQP client failed: {client.stderr[-1500:]}")
    return f"definitions loaded, probes pass, {client.stdout.strip()}"


def check_memcached(work: Path) -> str:
    ref = infra.ref("memcached")
    server = _server("osh-check-memcached", ref, ["--user", "11211:11211"],
                     ["--memory-limit=64", "--conn-limit=100"])
    script = (f"exec 3<>/dev/tcp/{server}/11211; printf 'set k 0 0 2\\r\\nhi\\r\\nget k\\r\\n"
              "stats settings\\r\\nquit\\r\\n' >&3; cat <&3")
    result = None
    for _ in range(30):
        result = _podman("run", "--rm", "--network", NETWORK, "--entrypoint", "/bin/bash", ref,
                         "-c", script, check=False)
        if "STORED" in result.stdout:
            break
        time.sleep(1)
    lines = [l.strip() for l in result.stdout.splitlines()
             if l.startswith(("STORED", "STAT maxbytes", "STAT maxconns "))]
    if len(lines) != 3:
        raise LiveError(f"memcached: {result.stdout[-1000:]}{result.stderr[-1000:]}")
    return ", ".join(lines)


CHECKS = {
    "keystone": check_keystone, "kolla-toolbox": check_kolla_toolbox,
    "postgres": check_postgres, "mariadb": check_mariadb,
    "rabbitmq": check_rabbitmq, "memcached": check_memcached,
}


def run(images: list[str]) -> dict[str, str]:
    """Check the start path of each image of `images` that has a check."""
    results = {}
    work = Path(tempfile.mkdtemp(prefix="osh-live-check-"))
    _podman("network", "create", NETWORK, check=False)
    try:
        for image in [i for i in CHECKS if i in images]:
            started = time.monotonic()
            try:
                results[image] = "ok: " + CHECKS[image](work / image)
            except LiveError as error:
                results[image] = f"FAILED: {error}"
            finally:
                _podman("rm", "-f", f"osh-check-{image}", check=False)
            say(f"check {image} ({time.monotonic() - started:.0f} s): {results[image]}")
    finally:
        _podman("network", "rm", "-f", NETWORK, check=False)
        shutil.rmtree(work, ignore_errors=True)
    return results
