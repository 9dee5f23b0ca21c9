"""Every oslo config file the glance, cinder, manila, barbican and designate
charts render is strict INI (no duplicate section or option), and holds only
sections and options that the service's own 2025.1 release registers, with
values of the right type (the option data comes from oslo-config-generator
run against that release, see conftest_b.oslo_options and tests/releases.py)."""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import pytest

from tests.charts.conftest import built_chart_tree
from tests.charts2.conftest_b import (REGION, ReleaseUnavailable, by_name,
                                      oslo_options, secret_data, strict_ini)

# The 2025.1 releases are installed in the background from the session's start.
pytestmark = pytest.mark.releases

# Which rendered Secret keys are oslo config files, per service.
# service: [(Secret, the keys that are oslo config files)]; the storage nodes'
# own files are in a Secret of their own, one <hostname>.conf each.
CONFIG_FILES = {
    "glance": [("glance-etc", r"glance-api\.conf")],
    "cinder": [("cinder-etc", r"cinder\.conf"), ("cinder-volume-nodes", r".+\.conf")],
    "manila": [("manila-etc", r"manila\.conf"), ("manila-share-nodes", r".+\.conf")],
    "barbican": [("barbican-etc", r"barbican\.conf")],
    "designate": [("designate-etc", r"designate\.conf")],
}
NOT_OSLO = {"cinder-wsgi.conf"}  # Apache

# Sections whose names the operator chooses, and the group whose options
# they take, as each service registers them at run time.
DYNAMIC_SECTIONS = {
    # Glance's reserved stores are file stores (glance multi-store docs).
    "glance": {"os_glance_staging_store": "file", "os_glance_tasks_store": "file"},
    # A cinder backend section takes the options of backend_defaults.
    "cinder": {"lvm": "backend_defaults", "nfs": "backend_defaults"},
    # Manila registers share driver options in DEFAULT and reads them per backend.
    "manila": {"lvm": "DEFAULT"},
}

# Groups whose keystoneauth options (auth_type, auth_section) the service
# registers at import but leaves out of its sample data:
# cinder/service_auth.py calls register_auth_conf_options for [service_user].
RUNTIME_AUTH_GROUPS = {"cinder": {"service_user"}}
AUTH_CONF_OPTIONS = ("auth_type", "auth_section")

# An extra storage node with the other cinder backend, so that every backend's
# section is checked too.
EXTRA = ('global.hardware.volumes=[{"hostname":"vol-001"},'
         '{"hostname":"vol-002","backend":"nfs","nfs_shares":["nas-1:/export/cinder"]}]')

BOOLEANS = {"true", "false", "1", "0", "yes", "no", "on", "off"}
HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?\.?)+$")


def value_problem(option: dict, value: str) -> str | None:
    """Why `value` is not a valid value of `option`, or None."""
    kind = option["type"]
    try:
        if kind == "boolean value":
            if value.lower() not in BOOLEANS:
                return f"{value!r} is not a boolean"
        elif kind in ("integer value", "port value"):
            number = int(value)
            low = 0 if kind == "port value" else option["min"]
            high = 65535 if kind == "port value" else option["max"]
            if low is not None and number < low or high is not None and number > high:
                return f"{number} is outside [{low}, {high}]"
        elif kind == "floating point value":
            float(value)
        elif kind == "uri value":
            parts = urlsplit(value)
            if not parts.scheme or not parts.netloc:
                return f"{value!r} is not a URI"
        elif kind == "host address value":
            try:
                ipaddress.ip_address(value)
            except ValueError:
                if not HOSTNAME.match(value):
                    return f"{value!r} is not a host address"
    except ValueError:
        return f"{value!r} is not a {kind}"
    choices = [c for c in option["choices"] if c is not None]
    if choices and kind == "string value" and value not in choices:
        return f"{value!r} is not one of {choices}"
    return None


def option_problems(service: str, where: str, text: str, data: dict) -> list[str]:
    parser = strict_ini(text, where)
    groups = data["groups"]
    problems = []
    for section in parser.sections():
        group = DYNAMIC_SECTIONS.get(service, {}).get(section, section)
        if group not in groups:
            problems.append(f"{where}: [{section}] is not a section of {service}")
            continue
        allowed = dict(groups[group])
        if group in RUNTIME_AUTH_GROUPS.get(service, ()):
            allowed.update({name: {"type": "string value", "min": None, "max": None,
                                   "choices": [], "deprecated_for_removal": False}
                            for name in AUTH_CONF_OPTIONS})
        # keystoneauth registers a section's plugin options when it loads the
        # plugin named by auth_type; the option data has only auth_type.
        if parser[section].get("auth_type") == "password" and "auth_type" in allowed:
            allowed.update({name: {"type": "string value", "min": None, "max": None,
                                   "choices": [], "deprecated_for_removal": False}
                            for name in data["auth_password"]})
        for name, value in parser[section].items():
            option = allowed.get(name)
            if option is None:
                problems.append(f"{where}: [{section}] {name} is not an option of {service}")
            elif option["deprecated_for_removal"]:
                problems.append(f"{where}: [{section}] {name} is deprecated for removal")
            elif (why := value_problem(option, value)) is not None:
                problems.append(f"{where}: [{section}] {name}: {why}")
    return problems


@pytest.fixture(scope="module")
def secrets(helm4, tmp_path_factory) -> list[dict]:
    tree = built_chart_tree(helm4, tmp_path_factory)
    return [o for o in tree.render(REGION, "--set-json", EXTRA) if o["kind"] == "Secret"]


def config_files(secrets: list[dict], service: str) -> dict[str, str]:
    out = {}
    for name, pattern in CONFIG_FILES[service]:
        data = secret_data(by_name(secrets, "Secret", name))
        out.update({k: v for k, v in data.items() if re.fullmatch(pattern, k) and k not in NOT_OSLO})
    return out


def test_the_extra_nfs_node_renders_its_own_config_file(secrets):
    files = config_files(secrets, "cinder")
    assert set(files) == {"cinder.conf", "vol-001.conf", "vol-002.conf"}
    assert set(config_files(secrets, "manila")) == {"manila.conf", "share-001.conf"}


@pytest.mark.parametrize("service", sorted(CONFIG_FILES))
def test_every_config_file_is_strict_ini_without_duplicate_sections_or_options(secrets, service):
    files = config_files(secrets, service)
    assert files
    for key, text in files.items():
        parser = strict_ini(text, key)
        assert parser.sections(), key
        assert "{{" not in text and "<no value>" not in text, key


@pytest.mark.parametrize("service", sorted(CONFIG_FILES))
def test_every_option_exists_in_the_2025_1_release_with_a_value_of_its_type(secrets, service):
    try:
        data = oslo_options(service)
    except ReleaseUnavailable as exc:  # no package index reachable: say why, do not pass
        pytest.skip(str(exc))
    problems = []
    for key, text in config_files(secrets, service).items():
        problems += option_problems(service, key, text, data)
    assert problems == []


def test_checker_finds_unknown_options_sections_bad_types_and_duplicates():
    data = oslo_options("glance")
    text = ("[DEFAULT]\nworkers = two\nbogus_option = 1\ndebug = maybe\n"
            "[nonsense]\nx = 1\n[glance_store]\ndefault_backend = file\n")
    problems = option_problems("glance", "t.conf", text, data)
    assert any("workers: 'two' is not a integer value" in p for p in problems)
    assert any("bogus_option is not an option" in p for p in problems)
    assert any("debug: 'maybe' is not a boolean" in p for p in problems)
    assert any("[nonsense] is not a section" in p for p in problems)
    assert len(problems) == 4
    with pytest.raises(AssertionError, match="already exists"):
        strict_ini("[DEFAULT]\ndebug = true\ndebug = false\n", "dup.conf")
    with pytest.raises(AssertionError, match="already exists"):
        strict_ini("[database]\na = 1\n[database]\nb = 2\n", "dup.conf")
