"""Helpers for the tests of the nova, placement, neutron and ironic charts:
standalone renders with the region's values, readers for the rendered
objects, and the 2025.1 release venvs that check their oslo config files."""
from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import yaml

from tests.charts.conftest import NAMESPACE, RELEASE, ChartTree, deep_merge, documents, values_in_region
from tests import releases

CHARTS_A = ("nova", "placement", "neutron", "ironic")
DOMAIN = "europe.example.org"
KOLLA_REGISTRY = "quay.io/openstack.kolla/"
KOLLA_TAG = ":2025.1-ubuntu-noble"
KOLLA_ROOT = "/var/lib/kolla/"
KOLLA_CONFIG = "/var/lib/kolla/config_files"
HOSTNAME_ANNOTATION = "placement.openstack-helm.org/hostname"
POD_KINDS = ("Deployment", "DaemonSet", "StatefulSet", "Job")

# Hardware of every kind on top of the region's own lists, so that each code
# path renders: a vmware compute, a second conductor host with no
# provisioning_ip, a network node with its own tunnel_ip and uplink NIC.
EXTRA_HARDWARE = {
    "hypervisors": [
        {"hostname": "vc-proxy-001", "kind": "vmware",
         "vmware": {"host_ip": "10.30.0.5", "host_username": "svc-nova",
                    "host_password": "vmware-secret-pw", "cluster_name": "cluster-1"}},
    ],
    "network_agents": [
        {"hostname": "net-003", "tunnel_ip": "10.20.8.3", "external_interface": "eno2"},
    ],
    "ironic_conductors": [{"hostname": "bm-002"}],
}


def values_a(name: str, extra_hardware: bool = True) -> dict:
    """The values `name` gets inside the region, plus EXTRA_HARDWARE."""
    values = values_in_region(name)
    if extra_hardware:
        hardware = values["global"]["hardware"]
        for key, entries in EXTRA_HARDWARE.items():
            hardware[key] = list(hardware.get(key) or []) + copy.deepcopy(entries)
    return values


def template(tree: ChartTree, name: str, values: dict, workdir: Path, *args: str,
             check: bool = True) -> subprocess.CompletedProcess:
    path = workdir / f"{name}-values.yaml"
    path.write_text(yaml.safe_dump(values))
    return tree.helm.run("template", RELEASE, str(tree.path(name)), "--namespace", NAMESPACE,
                         "-f", str(path), *args, check=check)


def render(tree: ChartTree, name: str, values: dict, workdir: Path, *args: str) -> list[dict]:
    return documents(template(tree, name, values, workdir, *args).stdout)


def hosts_of(entries: list) -> list[str]:
    """The hostnames of a hardware list: strings of names, or mappings with hostname."""
    out = []
    for entry in entries:
        out += entry.split() if isinstance(entry, str) else [entry["hostname"]]
    return out


def with_hardware(name: str, key: str, entries: list) -> dict:
    """The region's values for `name` with global.hardware.<key> replaced."""
    return deep_merge(values_a(name, extra_hardware=False),
                      {"global": {"hardware": {key: entries}}})


def named(objects: list[dict], kind: str, name: str) -> dict:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} objects"
    return found[0]


def job(objects: list[dict], prefix: str) -> dict:
    """The one Job named <prefix>-<8 hex> (Job names carry a hash of their inputs)."""
    found = [o for o in objects if o["kind"] == "Job"
             and o["metadata"]["name"].rsplit("-", 1)[0] == prefix]
    assert len(found) == 1, f"Job {prefix}-*: {len(found)} objects"
    return found[0]


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


# What iscsid shares with the containers that attach iSCSI volumes.
ISCSI_SHARED = ("/etc/iscsi", "/run/lock/iscsi")


def host_mounts(workload: dict, container: str) -> dict[str, tuple[str, bool]]:
    """{mount path: (host path, read-only)} of one container's hostPath mounts."""
    spec = pod_spec(workload)
    volumes = {v["name"]: v for v in spec["volumes"]}
    box = next(c for c in spec["containers"] if c["name"] == container)
    return {m["mountPath"]: (volumes[m["name"]]["hostPath"]["path"], bool(m.get("readOnly")))
            for m in box["volumeMounts"] if "hostPath" in volumes[m["name"]]}


def workloads(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o["kind"] in POD_KINDS]


def secret_data(objects: list[dict], name: str) -> dict[str, str]:
    return dict(named(objects, "Secret", name).get("stringData") or {})


def kolla_files(objects: list[dict], workload: dict, container: str | None = None,
                node: str | None = None) -> dict[str, str]:
    """What kolla_start finds under /var/lib/kolla in one container, on `node`:
    {path: content}, the paths of the config dir relative to it (config.json),
    others absolute (/var/lib/kolla/node/... : a node's own files). Resolved
    through the Secret and ConfigMap volumes: items, subPath, and subPathExpr
    with $(NODE_NAME) as `node` (without `node`, such mounts are left out)."""
    spec = pod_spec(workload)
    box = next(c for c in spec["containers"] if container in (None, c["name"]))
    volumes = {v["name"]: v for v in spec["volumes"]}
    out: dict[str, str] = {}
    for mount in box["volumeMounts"]:
        path = mount["mountPath"]
        if not path.startswith(KOLLA_ROOT):
            continue
        volume = volumes[mount["name"]]
        if "secret" in volume:
            source, data = volume["secret"], secret_data(objects, volume["secret"]["secretName"])
        else:
            source = volume["configMap"]
            data = dict(named(objects, "ConfigMap", source["name"]).get("data") or {})
        if source.get("items"):
            missing = [i["key"] for i in source["items"] if i["key"] not in data]
            assert not missing, f"{mount['name']} lacks {missing}"
            data = {i["path"]: data[i["key"]] for i in source["items"]}
        sub_path = mount.get("subPath")
        if "subPathExpr" in mount:
            if node is None:
                continue
            env = {e["name"]: e for e in box.get("env") or []}
            assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
            sub_path = mount["subPathExpr"].replace("$(NODE_NAME)", node)
        shown = path[len(KOLLA_CONFIG) + 1:] if path.startswith(KOLLA_CONFIG + "/") else path
        if sub_path is not None:
            assert sub_path in data, f"{workload['metadata']['name']}: {path}: no {sub_path}"
            out[shown] = data[sub_path]
        elif path == KOLLA_CONFIG:
            out.update(data)
        else:
            out.update({f"{path}/{name}": text for name, text in data.items()})
    return out


def kolla_etc(objects: list[dict], workload: dict, container: str | None = None,
              node: str | None = None) -> dict[str, str]:
    """The files kolla_start copies into place from config.json, on `node`:
    {destination: content}. A source that is missing fails, unless optional."""
    files = kolla_files(objects, workload, container, node)
    config = json.loads(files["config.json"])
    out = {}
    for entry in config["config_files"]:
        source = entry["source"]
        shown = source[len(KOLLA_CONFIG) + 1:] if source.startswith(KOLLA_CONFIG + "/") else source
        if shown not in files:
            assert entry.get("optional"), f"{workload['metadata']['name']}: no {source}"
            continue
        out[entry["dest"]] = files[shown]
    return out


def kolla_command(objects: list[dict], workload: dict, container: str | None = None) -> str:
    return json.loads(kolla_files(objects, workload, container)["config.json"])["command"]


# --- 2025.1 releases, for their own option definitions -----------------------
# tests/releases.py installs them; tests/charts2/oslo_check.py runs with the
# python of that venv, on the options of the chart's own release.
OSLO_CHECK = Path(__file__).with_name("oslo_check.py")


# Helm 3 and Helm 4 render the same files: the check's answer for the same
# service, names and texts is kept for the session (each run loads every option
# of the service, 10 to 70 s here).
_CHECKED: dict[tuple, list[dict]] = {}


def oslo_problems(service: str, files: dict[str, str], workdir: Path) -> list[dict]:
    """Problems oslo_check.py finds in `files` ({name: text}) with `service`'s release."""
    key = (service, tuple(sorted(files.items())))
    if key not in _CHECKED:
        _CHECKED[key] = _oslo_problems(service, files, workdir)
    return _CHECKED[key]


def _oslo_problems(service: str, files: dict[str, str], workdir: Path) -> list[dict]:
    paths = []
    for name, text in files.items():
        path = workdir / name
        path.write_text(text)
        paths.append(str(path))
    result = releases.run([str(OSLO_CHECK), releases.distribution(service), *paths], timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)
