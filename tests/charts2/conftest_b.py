"""Helpers for the tests of the glance, cinder, manila, barbican, designate and
horizon charts: readers for the rendered objects. Imported by the test_b_* modules (not a conftest: the
tests/charts2 conftest belongs to the nova/neutron tests)."""
from __future__ import annotations

import configparser
import json
import shutil
import subprocess
import sys

from tests.conftest import ROOT
from tests.charts.conftest import REGION
from tests.charts2.conftest_a import job, kolla_command, kolla_etc, kolla_files, pod_spec  # noqa: F401 - shared with the b tests
from tests.charts2.conftest_a import named as by_name

SERVICES = ("glance", "cinder", "manila", "barbican", "designate", "horizon")
DOMAIN = "europe.example.org"
KOLLA_CONFIG = "/var/lib/kolla/config_files"


def of_service(objects: list[dict], service: str) -> list[dict]:
    return [o for o in objects
            if o["metadata"].get("labels", {}).get("app.kubernetes.io/name") == service]


def secret_data(secret: dict) -> dict[str, str]:
    return dict(secret.get("stringData") or {})


def strict_ini(text: str, where: str) -> configparser.ConfigParser:
    """Parses an oslo config file; duplicate sections or options fail."""
    parser = configparser.ConfigParser(strict=True, interpolation=None,
                                       default_section="__no_default__")
    parser.optionxform = str  # oslo option names are case-sensitive
    try:
        parser.read_string(text, source=where)
    except configparser.Error as exc:
        raise AssertionError(f"{where}: {exc}") from exc
    return parser




# --- The option data of each service's own 2025.1 release -------------------
#
# Each service is installed once into a venv under .cache/oslo (about 25 s a
# service on these machines; the venv is removed after the dump), and
# oslo-config-generator dumps every option
# its oslo.config.opts entry points register, with type, choices and bounds.
# The auth plugin options of a section with auth_type (keystone_authtoken,
# cinder's nova and service_user) are not in that dump: keystoneauth
# registers them when it loads the plugin. The "password" plugin's are added.
# Libraries newer than the 2025.1 release that break its imports are held
# back: oslo.utils 9 removed secretutils.md5 and os-brick 6.11 its Windows
# connectors, both of which cinder 26 imports.
HELD_BACK = {"cinder": ["oslo.utils<9", "os-brick<6.11"]}
RELEASES = {  # 2025.1 (Epoxy)
    "glance": "glance==30.0.0",
    "cinder": "cinder==26.0.0",
    "manila": "manila==20.0.0",
    "barbican": "barbican==20.0.0",
    "designate": "designate==20.0.0",
}
OSLO_CACHE = ROOT / ".cache" / "oslo"

_DUMP = r"""
import json, subprocess, sys, tempfile
from importlib.metadata import entry_points
import yaml
from keystoneauth1 import loading
spaces, unloadable = [], {}
for entry in sorted(entry_points(group="oslo.config.opts"), key=lambda e: e.name):
    try:
        entry.load()()
    except Exception as exc:  # an optional driver's library is not installed
        unloadable[entry.name] = repr(exc)
    else:
        spaces.append(entry.name)
with tempfile.NamedTemporaryFile(suffix=".yaml") as out:
    args = [sys.prefix + "/bin/oslo-config-generator", "--format", "yaml",
            "--output-file", out.name]
    for name in spaces:
        args += ["--namespace", name]
    subprocess.run(args, check=True, capture_output=True)
    data = yaml.safe_load(open(out.name))
groups = {}
for group, body in data["options"].items():
    groups[group] = {o["name"].replace("-", "_"): {
        "type": o["type"], "min": o["min"], "max": o["max"],
        "choices": [c[0] for c in o["choices"]],
        "deprecated_for_removal": o["deprecated_for_removal"]} for o in body["opts"]}
password = [o.dest for o in loading.get_plugin_options("password")]
json.dump({"namespaces": spaces, "unloadable": unloadable, "groups": groups,
           "auth_password": password},
          open(sys.argv[1], "w"))
"""


class ReleaseUnavailable(RuntimeError):
    """pip could not install the release (no package index reachable)."""


def oslo_options(service: str) -> dict:
    """The option data of `service`'s 2025.1 release (built on first use)."""
    requirement = RELEASES[service]
    data = OSLO_CACHE / f"{requirement.replace('==', '-')}.json"
    if not data.exists():
        venv = OSLO_CACHE / service
        if not (venv / "bin" / "oslo-config-generator").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            result = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet",
                                     "--disable-pip-version-check", requirement,
                                     *HELD_BACK.get(service, [])],
                                    capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                raise ReleaseUnavailable(f"pip install {requirement} failed:\n{result.stderr[-2000:]}")
        tmp = data.with_suffix(".partial")
        result = subprocess.run([str(venv / "bin" / "python"), "-c", _DUMP, str(tmp)],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"option dump of {requirement} failed:\n{result.stderr[-3000:]}"
        tmp.rename(data)
        # The dump is all the tests read; the venv is about 500 MB.
        shutil.rmtree(venv)
    return json.loads(data.read_text())
