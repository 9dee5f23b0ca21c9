"""What kolla-build and podman are given, from pure functions."""
import io
import tarfile

from osh_live import constraints, host, hosttrust, infra, kollabuild, kollaconfig
from osh_live.imageload import missing
from osh_live.images import KOLLA_FIRST, KOLLA_IMAGES, selected


def test_containers_conf_gets_missing_settings_in_their_tables():
    text = host.with_settings("", host.PODMAN_SETTINGS)
    assert text == '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n'


def test_containers_conf_setting_already_chosen_is_left_alone():
    text = '[engine]\nruntime = "crun"\n\n[containers]\nlog_driver = "k8s-file"\n'
    out = host.with_settings(text, host.PODMAN_SETTINGS)
    assert 'runtime = "crun"' in out and 'runtime = "runc"' not in out
    assert out.index("default_ulimits = []") > out.index("[containers]")
    assert host.with_settings(out, host.PODMAN_SETTINGS) == out


PEM_A = "-----BEGIN CERTIFICATE-----\nAAAA\nBBBB\n-----END CERTIFICATE-----"
PEM_B = "-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----"


def test_host_trust_keeps_only_the_certificates_debian_does_not_ship():
    bundle = f"{PEM_A}\n{PEM_B}\n"
    assert hosttrust.extra_certificates(bundle, [PEM_A.replace("\n", "\r\n")]) == [PEM_B]


def test_host_trust_override_installs_each_certificate_and_points_pip_at_the_bundle():
    text = hosttrust.override([PEM_B], [])
    assert text.startswith("{% extends parent_template %}\n{% block base_pip_conf %}\n")
    assert "'-----BEGIN CERTIFICATE-----' 'CCCC' '-----END CERTIFICATE-----'" in text
    assert "osh-live-host-1.crt" in text and "update-ca-certificates" in text
    assert "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt" in text
    assert "RUN" not in hosttrust.override([], [])


DOCKERFILE = """\
RUN ln -s requirements \\
    && python3 -m pip --no-cache-dir install --upgrade -c /requirements/upper-constraints.txt pip wheel setuptools \\
    && python3 -m pip --no-cache-dir install --upgrade -c /requirements/upper-constraints.txt Babel tooz[etcd,zake] 'ansible-core==2.18.*'
RUN python3 -m pip --no-cache-dir install --upgrade -c /requirements/upper-constraints.txt -r /ironic/driver-requirements.txt ironic-staging-drivers \\
    && if [ "$(ls /plugins)" ]; then \\
        python3 -m pip --no-cache-dir install --upgrade -c /requirements/upper-constraints.txt /plugins/*; \\
    fi
RUN python3 -m pip install /keystone
"""


def test_dockerfile_requirements_are_what_kolla_installs_against_the_constraints():
    requirements, files = constraints.dockerfile_requirements(DOCKERFILE)
    assert requirements == ["pip", "wheel", "setuptools", "Babel", "tooz[etcd,zake]",
                            "ansible-core==2.18.*", "ironic-staging-drivers"]
    assert files == ["/ironic/driver-requirements.txt"]


def _item(name, version, **metadata):
    return {"metadata": {"name": name, "version": version, **metadata}}


def test_openstack_libraries_stay_in_their_series_and_others_are_frozen():
    installs = [
        _item("oslo.utils", "8.2.0", author_email="openstack-discuss@lists.openstack.org"),
        _item("keystoneauth1", "5.10.0", home_page="https://docs.openstack.org/keystoneauth/latest/"),
        _item("SQLAlchemy", "2.0.40"),
        _item("keystone", "27.1.0", author_email="openstack-discuss@lists.openstack.org"),
        _item("setuptools", "78.1.0"),
    ]
    assert constraints.frozen_constraints(installs, {"keystone"}) == [
        "keystoneauth1==5.10.*", "oslo-utils==8.2.*", "sqlalchemy==2.0.40"]


def test_upper_constraints_leave_out_the_sources_and_the_build_tools():
    installs = [_item("oslo.utils", "8.2.1"), _item("nova", "31.3.1"), _item("pip", "25.0"),
                _item("Babel", "2.17.0")]
    assert constraints.upper_constraints(installs, {"nova"}) == (
        "babel===2.17.0\noslo-utils===8.2.1\n")


def test_requirement_names_are_canonical():
    assert constraints.requirement_name("tooz[etcd]") == "tooz"
    assert constraints.requirement_name("oslo.vmware>=4") == "oslo-vmware"
    assert constraints.requirement_name("pip==25.2.*") == "pip"


def test_constraints_archive_has_one_top_directory_with_the_file():
    data = constraints.archive("a===1\n")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.getnames() == ["requirements", "requirements/upper-constraints.txt"]
        assert tar.extractfile("requirements/upper-constraints.txt").read() == b"a===1\n"
    assert constraints.archive("a===1\n") == data


def test_kolla_config_makes_sources_local_and_switches_other_plugins_off(tmp_path):
    text = kollaconfig.config_text(
        {"keystone-base": tmp_path / "keystone-27.1.0.tar.gz",
         "horizon-plugin-manila-ui": tmp_path / "manila_ui-13.0.0.tar.gz"},
        ["keystone-base", "horizon-plugin-manila-ui", "horizon-plugin-zun-ui", "nova-base"],
        tmp_path / "requirements.tar.gz")
    assert f"[keystone-base]\ntype = local\nlocation = {tmp_path}/keystone-27.1.0.tar.gz\n" in text
    assert "[horizon-plugin-zun-ui]\nenabled = False\n" in text
    assert "[nova-base]" not in text
    for section in ("openstack-base", "kolla-toolbox-additions-requirements"):
        assert f"[{section}]\ntype = local\nlocation = {tmp_path}/requirements.tar.gz\n" in text


def test_kolla_refs_can_be_named_by_the_charts_global_image_values():
    assert kollaconfig.ref("keystone") == (
        "localhost/openstack.kolla/keystone:2025.1-debian-bookworm")


FILES = {
    "base": "FROM localhost/osh-live/debian:bookworm\n",
    "openstack-base": "FROM localhost/openstack.kolla/base:2025.1-debian-bookworm\n",
    "keystone-base": "FROM localhost/openstack.kolla/openstack-base:2025.1-debian-bookworm\n",
    "keystone": "FROM localhost/openstack.kolla/keystone-base:2025.1-debian-bookworm\n"
                'LABEL name="keystone" build-date="20261129"\n',
}


def test_ancestry_follows_from_lines_to_the_base_image():
    assert kollabuild.ancestry("keystone", FILES) == [
        "keystone", "keystone-base", "openstack-base", "base"]


def test_image_sections_are_its_source_plugins_and_additions():
    sections = ["horizon", "horizon-plugin-manila-ui", "horizon-x", "kolla-toolbox-additions-requirements"]
    assert kollabuild.image_sections("horizon", sections) == ["horizon", "horizon-plugin-manila-ui"]
    assert kollabuild.image_sections("kolla-toolbox", sections) == [
        "kolla-toolbox-additions-requirements"]


def test_image_key_ignores_the_build_date_but_not_the_parent_or_sources():
    key = kollabuild.image_key(FILES["keystone"], ["s1"], "p")
    assert kollabuild.image_key(FILES["keystone"].replace("20261129", "20270101"), ["s1"], "p") == key
    assert kollabuild.image_key(FILES["keystone"], ["s2"], "p") != key
    assert kollabuild.image_key(FILES["keystone"], ["s1"], "q") != key


def test_infra_key_follows_every_file_of_the_context(tmp_path):
    (tmp_path / "Containerfile").write_text("FROM x\n")
    (tmp_path / "entrypoint.sh").write_text("#!/bin/sh\n")
    key = infra.context_key(tmp_path, "base")
    assert infra.context_key(tmp_path, "base") == key
    (tmp_path / "entrypoint.sh").chmod(0o755)
    assert infra.context_key(tmp_path, "base") != key
    assert infra.context_key(tmp_path, "other") != infra.context_key(tmp_path, "base")


def test_infra_refs_can_be_named_by_the_charts_upstream_image_values():
    assert infra.ref("postgres") == "localhost/osh-live/postgres:15-debian-bookworm"


def test_only_images_containerd_lacks_with_the_same_id_are_loaded():
    wanted = {"a": "sha256:1", "b": "sha256:2", "c": "sha256:3"}
    assert missing(wanted, {"a": "sha256:1", "b": "sha256:9"}) == ["b", "c"]


def test_keystone_and_the_client_image_come_first():
    assert KOLLA_IMAGES[:2] == KOLLA_FIRST == ["keystone", "kolla-toolbox"]
    assert len(set(KOLLA_IMAGES)) == len(KOLLA_IMAGES)
    assert selected(KOLLA_IMAGES, "^nova-compute") == ["nova-compute", "nova-compute-ironic"]


def test_build_tools_are_constrained_for_the_images_and_their_sdist_builds():
    text = hosttrust.override([], ["setuptools<82"])
    assert "printf '%s\\n' 'setuptools<82' > /etc/pip-build-constraints.txt" in text
    assert ("ENV PIP_CONSTRAINT=/etc/pip-build-constraints.txt "
            "PIP_BUILD_CONSTRAINT=/etc/pip-build-constraints.txt") in text
