"""Helpers for the tests of the glance, cinder, manila, barbican, designate and
horizon charts: readers for the rendered objects. Imported by the test_b_* modules (not a conftest: the
tests/charts2 conftest belongs to the nova/neutron tests)."""
from __future__ import annotations

import configparser
import hashlib
import json
from pathlib import Path

from tests import releases
from tests.charts.conftest import REGION
from tests.charts2.conftest_a import (ISCSI_SHARED, host_mounts, job, kolla_command,  # noqa: F401 - shared with the b tests
                                      kolla_etc, kolla_files, pod_spec)
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
# From the venv of tests/releases.py, oslo-config-generator's machine-readable
# data gives every option that the oslo.config.opts entry points of the
# service and of what it requires register (tests/charts2/oslo_check.py's
# namespaces), with type, choices and bounds; it is kept beside the venv.
# The auth plugin options of a section with auth_type (keystone_authtoken,
# cinder's nova and service_user) are not in that dump: keystoneauth
# registers them when it loads the plugin. The "password" plugin's are added.
OSLO_CHECK = Path(__file__).with_name("oslo_check.py")

_DUMP = r"""
import json, sys
from importlib.metadata import entry_points
sys.path.insert(0, sys.argv[3])
from keystoneauth1 import loading
from oslo_config import cfg, generator
from oslo_check import _privsep_sections, namespaces
from oslo_privsep import priv_context
wanted = set(namespaces(sys.argv[2]))
spaces, unloadable = [], {}
for entry in sorted(entry_points(group="oslo.config.opts"), key=lambda e: e.name):
    if entry.name not in wanted:
        continue
    try:
        entry.load()()
    except Exception as exc:  # an optional driver's library is not installed
        unloadable[entry.name] = repr(exc)
    else:
        spaces.append(entry.name)
# What `oslo-config-generator --format yaml --namespace ...` writes, made
# here rather than by the command, which would import it all again.
conf = cfg.ConfigOpts()
generator.register_cli_opts(conf)
conf([arg for name in spaces for arg in ("--namespace", name)] + ["--format", "yaml"])
conf.register_opts(generator._generator_opts)
# The service's privsep contexts register their options at run time, in
# their own sections (oslo_check._privsep_sections).
privsep = [(section, priv_context.OPTS) for section in _privsep_sections(sys.argv[2])]
data = generator._generate_machine_readable_data(
    generator._get_groups(generator._list_opts(conf.namespace) + [("oslo.privsep", privsep)]), conf)
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

ReleaseUnavailable = releases.Unavailable


def oslo_options(service: str) -> dict:
    """The option data of `service`'s 2025.1 release (dumped on first use)."""
    python = releases.python()
    digest = hashlib.sha256((_DUMP + OSLO_CHECK.read_text()).encode()).hexdigest()[:12]
    data = python.parent.parent / f"{service}-options-{digest}.json"
    if not data.exists():
        tmp = data.with_suffix(".partial")
        result = releases.run(["-c", _DUMP, str(tmp), releases.distribution(service),
                               str(OSLO_CHECK.parent)], timeout=600)
        assert result.returncode == 0, f"option dump of {service}:\n{result.stderr[-3000:]}"
        tmp.rename(data)
    return json.loads(data.read_text())
