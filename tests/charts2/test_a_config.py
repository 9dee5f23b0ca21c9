"""Every oslo config file that the nova, placement, neutron and ironic charts
render is strict INI (no duplicate section or key) and a valid configuration
for the service's own 2025.1 release (for the ironic-neutron-agent's files,
networking-baremetal's, which loads neutron's too): only sections and options
that release registers, values of the option's type
(tests/charts2/oslo_check.py, run in the venv of tests/releases.py). Every file a Kolla config.json copies exists,
on every node the workload runs on."""
from __future__ import annotations

import configparser
import json

import pytest

from tests import releases
from tests.charts2.conftest_a import (CHARTS_A, HOSTNAME_ANNOTATION, kolla_etc, kolla_files,
                                      oslo_problems, pod_spec, render, values_a, workloads)

# The 2025.1 releases are installed in the background from the session's start.
pytestmark = pytest.mark.releases

# Secret keys that are oslo config files, per chart (the rest are Apache
# sites, libvirt files, JSON and scripts).
def oslo_files(chart: str, objects: list[dict]) -> dict[str, str]:
    out = {}
    for obj in objects:
        if obj["kind"] != "Secret":
            continue
        for key, text in (obj.get("stringData") or {}).items():
            if key.endswith((".conf", ".ini")) and not key.startswith(("wsgi-", "httpd-")) \
                    and key not in ("libvirtd.conf", "qemu.conf"):
                out[f"{obj['metadata']['name']}--{key}"] = text
    return out


EXPECTED = {
    "nova": {"nova-etc--nova.conf", "nova-compute--nova-compute.conf",
             "nova-compute--kvm.conf", "nova-compute--host-vc-proxy-001.conf",
             "nova-compute--host-bm-proxy-001.conf"},
    "placement": {"placement-etc--placement.conf"},
    "neutron": {"neutron-etc--neutron.conf", "neutron-etc--ml2_conf.ini",
                "neutron-agent--neutron-agent.conf", "neutron-agent--openvswitch_agent.ini",
                "neutron-agent--l3_agent.ini", "neutron-agent--dhcp_agent.ini",
                "neutron-agent--metadata_agent.ini",
                "neutron-ironic-agent--neutron-agent.conf",
                "neutron-ironic-agent--ironic_neutron_agent.ini"},
    "ironic": {"ironic-etc--ironic.conf", "ironic-conductor--bm-001.conf",
               "ironic-conductor--bm-002.conf"},
}


# Secrets whose files a program of another release than the chart's reads,
# with its options: ironic-neutron-agent is networking-baremetal's, and loads
# its [ironic] and [agent] options on top of neutron's.
RELEASE_OF_SECRET = {"neutron-ironic-agent": "networking-baremetal"}


def by_release(chart: str, files: dict[str, str]) -> dict[str, dict[str, str]]:
    """{release (tests/releases.py key): {name: text}} of one chart's oslo files."""
    out: dict[str, dict[str, str]] = {}
    for name, text in files.items():
        out.setdefault(RELEASE_OF_SECRET.get(name.split("--")[0], chart), {})[name] = text
    return out


@pytest.fixture(scope="module")
def rendered(tree_a, tmp_path_factory) -> dict[str, list[dict]]:
    workdir = tmp_path_factory.mktemp("config-a")
    return {name: render(tree_a, name, values_a(name), workdir) for name in CHARTS_A}


@pytest.fixture(scope="module")
def release_env():
    return releases.python()


@pytest.mark.parametrize("chart", CHARTS_A)
def test_every_oslo_config_file_is_strict_ini(rendered, chart):
    files = oslo_files(chart, rendered[chart])
    assert EXPECTED[chart] <= set(files), set(files)
    for name, text in files.items():
        parser = configparser.ConfigParser(strict=True, interpolation=None,
                                           default_section="__none__")
        parser.optionxform = str
        try:
            parser.read_string(text, source=name)
        except configparser.Error as err:
            pytest.fail(f"{name}: {err}")
        assert parser.sections(), name


@pytest.mark.parametrize("chart", CHARTS_A)
def test_every_oslo_config_file_is_valid_for_the_2025_1_release(rendered, release_env, chart,
                                                                 tmp_path):
    for release, files in by_release(chart, oslo_files(chart, rendered[chart])).items():
        assert oslo_problems(release, files, tmp_path) == [], release


def test_the_release_check_finds_unknown_options_wrong_types_and_duplicates(release_env, tmp_path):
    bad = ("[DEFAULT]\ndebug = sometimes\nno_such_option = 1\n"
           "[vnc]\nnovncproxy_port = 6080\nnovncproxy_port = 6081\n"
           "[no_such_section]\nx = 1\n")
    problems = [p["problem"] for p in oslo_problems("nova", {"bad.conf": bad}, tmp_path)]
    assert any("debug = 'sometimes'" in p for p in problems), problems
    assert "unknown option no_such_option in [DEFAULT]" in problems
    assert "duplicate key 'novncproxy_port' in its section" in problems
    assert "unknown section [no_such_section]" in problems


def test_the_ironic_agents_files_are_checked_with_networking_baremetals_options(rendered,
                                                                              release_env,
                                                                              tmp_path):
    """Its [ironic] section is networking-baremetal's (keystoneauth adapter
    options such as valid_interfaces included): checked with that release,
    an option it does not register is still found."""
    files = by_release("neutron", oslo_files("neutron", rendered["neutron"]))["networking-baremetal"]
    assert set(files) == {"neutron-ironic-agent--neutron-agent.conf",
                          "neutron-ironic-agent--ironic_neutron_agent.ini"}
    bad = files["neutron-ironic-agent--ironic_neutron_agent.ini"] + "no_such_option = 1\n"
    problems = [p["problem"] for p in
                oslo_problems("networking-baremetal", {"agent.ini": bad}, tmp_path)]
    assert problems == ["unknown option no_such_option in [ironic]"]


@pytest.mark.parametrize("chart", CHARTS_A)
def test_every_file_a_kolla_config_copies_is_mounted_beside_it(rendered, chart):
    """On every node a workload runs on: a group's pods read their node's own files."""
    objects = rendered[chart]
    checked = 0
    for obj in workloads(objects):
        hosts = (obj["metadata"].get("annotations") or {}).get(HOSTNAME_ANNOTATION)
        for node in hosts.split(",") if hosts else [None]:
            for box in pod_spec(obj)["containers"]:
                copied = kolla_etc(objects, obj, box["name"], node)
                config = json.loads(kolla_files(objects, obj, box["name"])["config.json"])
                assert config["command"], obj["metadata"]["name"]
                assert len(copied) == len(config["config_files"]), obj["metadata"]["name"]
                checked += len(copied)
    assert checked
