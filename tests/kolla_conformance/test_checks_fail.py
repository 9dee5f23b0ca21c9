"""Each conformance check fails on a manifest broken on purpose, and says
which container and why; a mended copy passes. The manifests are small and
made here, with real Kolla images, so the checks read Kolla's real data."""
from __future__ import annotations

import json

from tests.kolla_conformance.checks import CHECKS
from tests.kolla_conformance.image import kolla_image
from tests.kolla_conformance.pods import Region

REGISTRY = "quay.io/openstack.kolla/"
TAG = ":2025.1-ubuntu-noble"
CONFIG = "/var/lib/kolla/config_files"


def secret(name: str, data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data}


def workload(kind: str, name: str, containers: list[dict], volumes: list[dict],
             security: dict | None = None) -> dict:
    pod = {"containers": containers, "volumes": volumes}
    if security:
        pod["securityContext"] = security
    return {"apiVersion": "batch/v1" if kind == "Job" else "apps/v1", "kind": kind,
            "metadata": {"name": name}, "spec": {"template": {"spec": pod}}}


def kolla(name: str, image: str, command: str, files: dict[str, str] | None = None,
          env: dict[str, str] | None = None, kind: str = "Deployment",
          config: dict | None = None, mounts: list[dict] | None = None,
          volumes: list[dict] | None = None, security: dict | None = None) -> list[dict]:
    """A workload running `image` through kolla_start with `command` in its
    config.json, the files in a Secret mounted at the config dir."""
    config = {"command": command, **(config or {})}
    data = {"config.json": json.dumps(config), **(files or {})}
    container = {"name": "main", "image": REGISTRY + image + TAG,
                 "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
                 "volumeMounts": [{"name": "kolla-config", "mountPath": CONFIG, "readOnly": True},
                                  *(mounts or [])]}
    return [secret(f"{name}-etc", data),
            workload(kind, name, [container],
                     [{"name": "kolla-config", "secret": {"secretName": f"{name}-etc"}},
                      *(volumes or [])], security)]


def problems(check: str, documents: list[dict]) -> list[str]:
    region = Region(documents)
    return [p for c in region.containers for p in CHECKS[check](c, region)]


def test_an_image_kolla_does_not_build_fails_naming_the_container():
    found = problems("image", kolla("api", "keystone-apii", "keystone-manage"))
    assert len(found) == 1
    assert "Deployment/api container main" in found[0]
    assert "openstack.kolla/keystone-apii is not a Kolla 20.6.0 image" in found[0]
    assert not problems("image", kolla("api", "keystone", "keystone-manage"))


def test_a_command_the_image_does_not_install_fails_naming_the_container():
    found = problems("command", kolla("ovs", "openvswitch-db-server", "start-ovsdb-server 127.0.0.1"))
    assert len(found) == 1
    assert "Deployment/ovs container main" in found[0]
    assert "runs 'start-ovsdb-server', which image openvswitch-db-server does not have" in found[0]
    assert not problems("command", kolla("ovs", "openvswitch-vswitchd", "/usr/sbin/ovs-vswitchd"))


def test_a_console_script_of_another_service_fails():
    found = problems("command", kolla("api", "keystone", "nova-manage db sync"))
    assert "runs 'nova-manage', which image keystone does not have" in found[0]
    assert not problems("command", kolla("api", "keystone", "keystone-manage db_sync"))


def test_a_plugin_console_script_comes_from_the_plugins_the_builds_enable():
    """neutron-base pip installs its plugins-archive (/plugins/*), which holds
    the plugin sections the build enables: the region's builds enable
    networking-baremetal alone (tools/osh_live/versions.py), so its agent is
    found there and a plugin they switch off (networking-sfc, fwaas, vpnaas)
    is never looked into."""
    image = kolla_image("ironic-neutron-agent")
    plugins = [requirement for _layer, requirement, why in image._python_releases("ironic-neutron-agent")
               if "plugins-archive" in why]
    assert plugins == ["networking-baremetal>=6.5,<6.6"]
    assert not problems("command", kolla("agent", "ironic-neutron-agent",
                                         "ironic-neutron-agent --config-file /etc/neutron/neutron.conf"))


def test_a_script_nothing_mounts_fails_naming_it():
    found = problems("command", kolla("agent", "neutron-openvswitch-agent", "/bin/sh /var/lib/osh/bin/start.sh"))
    assert found == ["Deployment/agent container main: config.json command runs the script "
                     "/var/lib/osh/bin/start.sh, which neither a mount nor image "
                     "neutron-openvswitch-agent provides"]


def test_a_config_dir_without_command_fails():
    documents = kolla("api", "keystone", "")
    assert "nothing to run: no config.json with a command" in problems("command", documents)[0]


def test_a_job_whose_image_appends_args_fails_without_skip_extend_start():
    job = kolla("db-sync", "keystone", "keystone-manage db_sync", kind="Job")
    found = problems("extend_start", job)
    assert len(found) == 1
    assert "Job/db-sync container main: a one-shot command runs through kolla_start" in found[0]
    assert "sets ARGS='-DFOREGROUND'" in found[0] and "set KOLLA_SKIP_EXTEND_START" in found[0]
    fixed = kolla("db-sync", "keystone", "keystone-manage db_sync", kind="Job",
                  env={"KOLLA_SKIP_EXTEND_START": "true"})
    assert not problems("extend_start", fixed)


def test_a_service_that_skips_or_exits_in_extend_start_fails():
    skipped = kolla("api", "keystone", "/usr/sbin/apache2", env={"KOLLA_SKIP_EXTEND_START": "false"})
    found = problems("extend_start", skipped)
    assert len(found) == 1 and "Deployment/api container main: a long-running service sets " \
        "KOLLA_SKIP_EXTEND_START" in found[0] and "whatever its value" in found[0]
    bootstrap = kolla("api", "keystone", "/usr/sbin/apache2", env={"KOLLA_BOOTSTRAP": ""})
    found = problems("extend_start", bootstrap)
    assert len(found) == 1 and "runs 'exit 0' before the command" in found[0]
    assert "KOLLA_BOOTSTRAP" in found[0]
    assert not problems("extend_start", kolla("api", "keystone", "/usr/sbin/apache2"))


NEUTRON_CONF = "[DEFAULT]\nstate_path = /var/lib/neutron\n[oslo_concurrency]\nlock_path = $state_path/tmp\n"
COPY_CONF = {"config_files": [{"source": f"{CONFIG}/neutron.conf", "dest": "/etc/neutron/neutron.conf",
                               "owner": "neutron", "perm": "0600"}]}
STATE_MOUNT = [{"name": "state", "mountPath": "/var/lib/neutron"}]
STATE_VOLUME = [{"name": "state", "hostPath": {"path": "/var/lib/neutron", "type": "DirectoryOrCreate"}}]


def test_a_state_path_on_a_root_owned_host_path_fails_until_config_json_chowns_it():
    agent = kolla("dhcp", "neutron-dhcp-agent", "neutron-dhcp-agent", {"neutron.conf": NEUTRON_CONF},
                  config=COPY_CONF, mounts=STATE_MOUNT, volumes=STATE_VOLUME, kind="DaemonSet")
    found = problems("user", agent)
    assert len(found) == 2
    assert found[0].startswith("DaemonSet/dhcp container main: state_path /var/lib/neutron "
                               "(/etc/neutron/neutron.conf) is on the hostPath /var/lib/neutron")
    assert "runs as neutron" in found[0] and "no permissions entry" in found[0]
    assert "lock_path /var/lib/neutron/tmp" in found[1]
    chowned = {**COPY_CONF, "permissions": [{"path": "/var/lib/neutron", "owner": "neutron:neutron",
                                              "recurse": True}]}
    fixed = kolla("dhcp", "neutron-dhcp-agent", "neutron-dhcp-agent", {"neutron.conf": NEUTRON_CONF},
                  config=chowned, mounts=STATE_MOUNT, volumes=STATE_VOLUME, kind="DaemonSet")
    assert not problems("user", fixed)


def _libvirt_node(group: str) -> list[dict]:
    run = [{"name": "run", "mountPath": "/run/libvirt"}]
    run_volume = [{"name": "run", "hostPath": {"path": "/run/libvirt", "type": "DirectoryOrCreate"}}]
    nova_conf = "[libvirt]\nconnection_uri = qemu:///system\n"
    copy = {"config_files": [{"source": f"{CONFIG}/nova.conf", "dest": "/etc/nova/nova.conf"}]}
    libvirtd_conf = f'unix_sock_group = "{group}"\nunix_sock_rw_perms = "0770"\n'
    copy_libvirt = {"config_files": [{"source": f"{CONFIG}/libvirtd.conf",
                                      "dest": "/etc/libvirt/libvirtd.conf"}]}
    return (kolla("compute", "nova-compute", "nova-compute", {"nova.conf": nova_conf}, config=copy,
                  mounts=run, volumes=run_volume, kind="DaemonSet")
            + kolla("libvirt", "nova-libvirt", "/usr/sbin/libvirtd", {"libvirtd.conf": libvirtd_conf},
                    config=copy_libvirt, mounts=run, volumes=run_volume, kind="DaemonSet"))


def test_a_socket_the_user_cannot_open_fails_naming_both_ends():
    found = problems("user", _libvirt_node("root"))
    assert found == ["DaemonSet/compute container main: runs as nova (uid 42436, gids "
                     "[42400, 42427, 42436]) and opens the socket /run/libvirt/libvirt-sock "
                     "(/etc/nova/nova.conf [libvirt] qemu:///system), which libvirtd creates "
                     "root:root mode 0770 (as in DaemonSet/libvirt container main): "
                     "nova cannot open it"]
    # nova is in Kolla's group kolla (configure_user), so a socket of that group lets it in.
    assert not problems("user", _libvirt_node("kolla"))


def test_a_single_file_mount_inside_the_config_secret_fails():
    documents = kolla("conductor", "ironic-conductor", "ironic-conductor",
                      mounts=[{"name": "node", "mountPath": f"{CONFIG}/host.conf",
                               "subPathExpr": "$(NODE_NAME).conf"}],
                      volumes=[{"name": "node", "secret": {"secretName": "nodes"}}])
    found = problems("user", documents)
    assert found == [f"Deployment/conductor container main: the single-file mount {CONFIG}/host.conf "
                     f"(subPath) sits inside the secret mount at {CONFIG}: the kubelet cannot make "
                     "its mount point in a secret volume"]


def test_a_probe_the_image_cannot_run_fails_naming_the_container():
    def with_probe(command: list[str]) -> list[dict]:
        documents = kolla("libvirt", "nova-libvirt", "/usr/sbin/libvirtd")
        container = documents[1]["spec"]["template"]["spec"]["containers"][0]
        container["livenessProbe"] = {"exec": {"command": command}}
        return documents

    found = problems("probes", with_probe(["mysqladmin", "ping"]))
    assert found == [found[0]] and found[0].startswith(
        "Deployment/libvirt container main: its livenessProbe runs 'mysqladmin', which image "
        "nova-libvirt does not have")
    assert not problems("probes", with_probe(["virsh", "version", "--daemon"]))
    assert not problems("probes", with_probe(["healthcheck_port", "libvirtd", "16509"]))
