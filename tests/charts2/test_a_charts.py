"""The nova, placement, neutron and ironic charts, rendered alone with the
region's values by Helm 3 and Helm 4: valid objects, the project's labels and
start-up, APIs on their ports behind TLS Ingresses, db-sync and Keystone
registration Jobs, Kolla images from globals, credentials only in Secrets."""
from __future__ import annotations

import configparser
import copy
import json
import re

import kubernetes_validate
import pytest

import yaml

from tests.charts.conftest import NAMESPACE
from tests.charts2.conftest_a import (CHARTS_A, DOMAIN, HOSTNAME_ANNOTATION, KOLLA_REGISTRY,
                                      KOLLA_TAG, hosts_of, job, kolla_command, kolla_etc,
                                      kolla_files, named, pod_spec, render, secret_data, template,
                                      values_a, with_hardware, workloads)

# (chart, Service, port, Ingress host or None, Keystone type, public path)
APIS = [
    ("nova", "nova-api", 8774, "nova", "compute", "/v2.1"),
    ("nova", "nova-metadata", 8775, None, None, None),
    ("nova", "nova-novncproxy", 6080, "novncproxy", None, None),
    ("placement", "placement-api", 8778, "placement", "placement", ""),
    ("neutron", "neutron-api", 9696, "neutron", "network", ""),
    ("ironic", "ironic-api", 6385, "ironic", "baremetal", ""),
]

# The real command kolla_start runs in each control-plane workload.
COMMANDS = {
    ("nova", "nova-api"): "/usr/sbin/apache2 -DFOREGROUND",
    ("nova", "nova-metadata"): "/usr/sbin/apache2 -DFOREGROUND",
    ("nova", "nova-conductor"): "nova-conductor",
    ("nova", "nova-scheduler"): "nova-scheduler",
    ("nova", "nova-novncproxy"): "nova-novncproxy",
    ("placement", "placement-api"): "/usr/sbin/apache2 -DFOREGROUND",
    ("neutron", "neutron-server"): "neutron-server --config-file /etc/neutron/neutron.conf "
                                   "--config-file /etc/neutron/plugins/ml2/ml2_conf.ini",
    ("ironic", "ironic-api"): "/usr/sbin/apache2 -DFOREGROUND",
}

DB_SYNC = {
    "nova": "/bin/sh /var/lib/osh/bin/db-sync.sh",
    "placement": "placement-manage db sync",
    "neutron": "neutron-db-manage --config-file /etc/neutron/neutron.conf "
               "--config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade heads",
    "ironic": "ironic-dbsync --config-file /etc/ironic/ironic.conf upgrade",
}


@pytest.fixture(scope="module")
def rendered(tree_a, tmp_path_factory) -> dict[str, list[dict]]:
    workdir = tmp_path_factory.mktemp("render-a")
    return {name: render(tree_a, name, values_a(name), workdir) for name in CHARTS_A}


def all_objects(rendered) -> list[dict]:
    return [o for objects in rendered.values() for o in objects]


def sensitive_values(name: str) -> set[str]:
    """Every password, secret and key the chart gets from the region."""
    found: set[str] = set()

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and re.search(r"password|shared_secret|secret_key|^key$", key) and len(node) >= 8:
            found.add(node)

    walk(values_a(name))
    return found


@pytest.mark.parametrize("chart", CHARTS_A)
def test_chart_passes_helm_lint_strict(tree_a, tmp_path, chart):
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(values_a(chart)))
    result = tree_a.helm.run("lint", "--strict", str(tree_a.path(chart)), "--namespace", NAMESPACE,
                             "-f", str(values), check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout, result.stdout


@pytest.mark.parametrize("version", ["1.30.0", "1.33.0"])
def test_every_object_passes_kubernetes_validate_strict(rendered, version):
    for obj in all_objects(rendered):
        kubernetes_validate.validate(obj, version, strict=True)


def test_every_object_and_pod_template_carries_the_standard_labels(rendered):
    for name, objects in rendered.items():
        for obj in objects:
            labels = obj["metadata"]["labels"]
            assert labels["app.kubernetes.io/name"] == name, obj["metadata"]["name"]
            for key in ("component", "instance", "part-of", "managed-by"):
                assert labels.get(f"app.kubernetes.io/{key}"), (obj["metadata"]["name"], key)
            if obj["kind"] in ("Deployment", "DaemonSet", "Job"):
                template = obj["spec"]["template"]["metadata"]["labels"]
                assert template["app.kubernetes.io/name"] == name
                assert template["app.kubernetes.io/component"] == labels["app.kubernetes.io/component"]
                if obj["kind"] != "Job":
                    selector = obj["spec"]["selector"]["matchLabels"]
                    assert selector.items() <= template.items()


def test_charts_leave_placement_to_the_post_renderer(rendered):
    for obj in workloads(all_objects(rendered)):
        spec = pod_spec(obj)
        for field in ("tolerations", "nodeSelector", "affinity", "nodeName",
                      "topologySpreadConstraints"):
            assert field not in spec, f"{obj['metadata']['name']} sets {field}"


def test_every_kolla_service_container_starts_through_its_images_entrypoint(rendered):
    seen = 0
    for obj in workloads(all_objects(rendered)):
        spec = pod_spec(obj)
        for box in spec["containers"]:
            assert box["image"].startswith(KOLLA_REGISTRY) and box["image"].endswith(KOLLA_TAG)
            seen += 1
            # Kolla's ENTRYPOINT (dumb-init, which reaps orphans) runs its CMD kolla_start.
            assert "command" not in box and "args" not in box, obj["metadata"]["name"]
            assert {"name": "KOLLA_CONFIG_STRATEGY", "value": "COPY_ALWAYS"} in box["env"]
            assert "config.json" in kolla_files(rendered[obj["metadata"]["labels"]["app.kubernetes.io/name"]], obj, box["name"])
    assert seen > 40


@pytest.mark.parametrize("chart,workload", sorted(COMMANDS))
def test_control_plane_workload_runs_its_service(rendered, chart, workload):
    objects = rendered[chart]
    deployment = named(objects, "Deployment", workload)
    assert kolla_command(objects, deployment) == COMMANDS[(chart, workload)]
    assert deployment["spec"]["replicas"] >= 1
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/secret-etc"])


@pytest.mark.parametrize("chart,service,port,host,_type,_path", APIS)
def test_api_is_served_on_its_port_and_behind_a_tls_ingress(rendered, chart, service, port,
                                                            host, _type, _path):
    objects = rendered[chart]
    svc = named(objects, "Service", service)
    assert svc["spec"]["ports"][0]["port"] == port
    selected = [o for o in objects if o["kind"] == "Deployment"
                and svc["spec"]["selector"].items() <= o["spec"]["template"]["metadata"]["labels"].items()]
    assert len(selected) == 1, f"{service} selects {len(selected)} Deployments"
    ports = [p["containerPort"] for c in pod_spec(selected[0])["containers"] for p in c.get("ports", [])]
    assert ports == [port]
    ingresses = [o for o in objects if o["kind"] == "Ingress"
                 and o["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == service]
    if host is None:
        assert not ingresses, f"{service} is internal only"
        return
    (ingress,) = ingresses
    fqdn = f"{host}.{DOMAIN}"
    assert ingress["spec"]["rules"][0]["host"] == fqdn
    assert ingress["spec"]["tls"] == [{"hosts": [fqdn], "secretName": "openstack-tls"}]


def test_apache_sites_listen_on_the_api_ports(rendered):
    for chart, workload, port in [("nova", "nova-api", 8774), ("nova", "nova-metadata", 8775),
                                  ("placement", "placement-api", 8778), ("ironic", "ironic-api", 6385)]:
        objects = rendered[chart]
        files = kolla_files(objects, named(objects, "Deployment", workload))
        config = json.loads(files["config.json"])
        sites = [f for f in config["config_files"] if f["dest"].startswith("/etc/apache2/conf-enabled/")]
        assert len(sites) == 1
        site = files[sites[0]["source"].rsplit("/", 1)[1]]
        assert f"Listen {port}\n" in site and f"<VirtualHost *:{port}>" in site
        script = re.search(r"WSGIScriptAlias / (\S+)", site)[1]
        assert script.startswith("/var/lib/kolla/venv/bin/")


@pytest.mark.parametrize("chart", CHARTS_A)
def test_db_sync_job_runs_the_schema_migration(rendered, chart):
    objects = rendered[chart]
    sync = job(objects, f"{chart}-db-sync")
    assert kolla_command(objects, sync) == DB_SYNC[chart]
    assert pod_spec(sync)["restartPolicy"] == "OnFailure" and sync["spec"]["backoffLimit"] > 0
    assert "helm.sh/hook" not in sync["metadata"].get("annotations", {})


def test_nova_db_sync_maps_cell0_from_a_secret_and_creates_cell1(rendered):
    objects = rendered["nova"]
    sync = job(objects, "nova-db-sync")
    env = {e["name"]: e for e in pod_spec(sync)["containers"][0]["env"]}
    ref = env["NOVA_CELL0_CONNECTION"]["valueFrom"]["secretKeyRef"]
    cell0 = named(objects, "Secret", ref["name"])["stringData"][ref["key"]]
    assert cell0.startswith("mysql+pymysql://nova_cell0:") and cell0.endswith("/nova_cell0?charset=utf8mb4")
    script = named(objects, "ConfigMap", "nova-bin")["data"]["db-sync.sh"]
    for step in ("nova-manage api_db sync", 'map_cell0 --database_connection "$NOVA_CELL0_CONNECTION"',
                 "create_cell --name cell1", "nova-manage db sync"):
        assert step in script


@pytest.mark.parametrize("chart,service,port,host,ks_type,path", [a for a in APIS if a[4]])
def test_keystone_registration_job_registers_service_user_and_endpoints(rendered, chart, service,
                                                                        port, host, ks_type, path):
    """The library's registration Job (osh-lib.ks-register-job), as the other services use it."""
    objects = rendered[chart]
    register = job(objects, f"{chart}-ks-register")
    box = pod_spec(register)["containers"][0]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in box["env"]}
    assert env["OSH_SERVICE_USER"] == chart
    assert env["OSH_ROLES"].split() == ["admin", "service"]
    assert [line.split("|")[0] for line in env["OSH_SERVICES"].splitlines()] == [ks_type]
    endpoints = {interface: url for _, interface, url in
                 (line.split("|") for line in env["OSH_ENDPOINTS"].splitlines())}
    assert endpoints["public"] == f"https://{host}.{DOMAIN}{path}"
    assert endpoints["internal"] == endpoints["admin"] == \
        f"http://{service}.openstack.svc:{port}{path}"
    ref = env["OSH_SERVICE_PASSWORD"]["secretKeyRef"]
    assert named(objects, "Secret", ref["name"])["stringData"][ref["key"]] == \
        values_a(chart)["keystone_password"]
    assert box["envFrom"] == [{"secretRef": {"name": "keystone-admin"}}]
    assert kolla_command(objects, register) == "/bin/sh /var/lib/kolla/config_files/ks-register.sh"
    script = kolla_files(objects, register)["ks-register.sh"]
    for call in ("openstack user create", "openstack role add", "openstack service create",
                 "openstack endpoint create", "openstack endpoint set"):
        assert call in script


def test_credentials_appear_only_in_secrets(rendered):
    for chart, objects in rendered.items():
        secrets = sensitive_values(chart)
        assert secrets, chart
        for obj in objects:
            if obj["kind"] == "Secret":
                continue
            text = json.dumps(obj)
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{obj['kind']}/{obj['metadata']['name']} holds a credential"


def test_service_config_secrets_hold_the_database_transport_and_keystone_credentials(rendered):
    conf = named(rendered["nova"], "Secret", "nova-etc")["stringData"]["nova.conf"]
    values = values_a("nova")
    for db in ("nova", "nova_api"):
        assert f"mysql+pymysql://{db}:{values['global']['database'][db]['password']}@mariadb.openstack.svc:3306/{db}" in conf
    assert f"rabbit://nova:{values['global']['rabbitmq']['users']['nova']['password']}@rabbitmq.openstack.svc:5672/openstack" in conf
    assert f"password = {values['keystone_password']}" in conf
    compute = named(rendered["nova"], "Secret", "nova-compute")["stringData"]["nova-compute.conf"]
    assert "[database]" not in compute and "[api_database]" not in compute


def test_kolla_images_follow_the_global_image_settings(tree_a, tmp_path):
    values = values_a("nova")
    values["global"]["image"] = {"registry": "registry.example.org:5000", "namespace": "mirror",
                                 "tag": "2025.1-ubuntu-noble-42", "pullPolicy": "Always"}
    objects = render(tree_a, "nova", values, tmp_path)
    images = {c["image"] for o in workloads(objects) for c in pod_spec(o)["containers"]}
    assert "registry.example.org:5000/mirror/nova-compute:2025.1-ubuntu-noble-42" in images
    assert all(i.startswith("registry.example.org:5000/mirror/") and i.endswith(":2025.1-ubuntu-noble-42")
               for i in images)
    assert {c["imagePullPolicy"] for o in workloads(objects) for c in pod_spec(o)["containers"]} == {"Always"}


def test_renders_are_deterministic(tree_a, rendered, tmp_path):
    again = render(tree_a, "nova", values_a("nova"), tmp_path)
    assert again == rendered["nova"]


def test_a_config_change_rolls_the_control_plane_and_a_new_job_runs(tree_a, rendered, tmp_path):
    values = copy.deepcopy(values_a("nova"))
    values["conf"]["debug"] = True
    changed = render(tree_a, "nova", values, tmp_path)
    before = named(rendered["nova"], "Deployment", "nova-conductor")["spec"]["template"]["metadata"]["annotations"]
    after = named(changed, "Deployment", "nova-conductor")["spec"]["template"]["metadata"]["annotations"]
    assert before["checksum/secret-etc"] != after["checksum/secret-etc"]
    assert job(rendered["nova"], "nova-db-sync")["metadata"]["name"] != job(changed, "nova-db-sync")["metadata"]["name"]


MISSING = [
    ("nova", ("keystone_password",), "value openstack.nova.keystone_password is required"),
    ("placement", ("keystone_password",), "value openstack.placement.keystone_password is required"),
    ("neutron", ("keystone_password",), "value openstack.neutron.keystone_password is required"),
    ("ironic", ("keystone_password",), "value openstack.ironic.keystone_password is required"),
    ("nova", ("global", "nova", "metadata_proxy_shared_secret"),
     "value global.nova.metadata_proxy_shared_secret is required"),
    ("neutron", ("global", "nova", "metadata_proxy_shared_secret"),
     "value global.nova.metadata_proxy_shared_secret is required"),
    ("nova", ("global", "database", "nova_cell0", "password"),
     "value global.database.nova_cell0.password is required"),
    ("ironic", ("global", "rabbitmq", "users", "ironic", "password"),
     "value global.rabbitmq.users.ironic.password is required"),
]


@pytest.mark.parametrize("chart,path,message", MISSING, ids=[".".join(m[1]) + "-" + m[0] for m in MISSING])
def test_a_missing_sensitive_value_fails_naming_its_key(tree_a, tmp_path, chart, path, message):
    values = values_a(chart)
    node = values
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = ""
    result = template(tree_a, chart, values, tmp_path, check=False)
    assert result.returncode != 0 and result.stdout == ""
    assert message in result.stderr, result.stderr




# --- Ironic's ports in neutron: the ML2 baremetal driver and ironic-neutron-agent

IRONIC_AGENT = ("ironic-neutron-agent --config-file /etc/neutron/neutron.conf "
                "--config-file /etc/neutron/plugins/ml2/ironic_neutron_agent.ini")


def ini(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.read_string(text)
    return parser


def test_neutron_binds_bare_metal_ports_when_the_region_runs_ironic(rendered):
    """The region lists conductor hosts: ML2 loads networking-baremetal's
    driver, and flat networks may be on the physnets of the nodes' Ironic
    ports, which no Open vSwitch bridge maps (as kolla-ansible does)."""
    assert hosts_of(values_a("neutron")["global"]["hardware"]["ironic_conductors"])
    ml2 = ini(named(rendered["neutron"], "Secret", "neutron-etc")["stringData"]["ml2_conf.ini"])
    assert ml2["ml2"]["mechanism_drivers"].split(",") == ["openvswitch", "baremetal", "l2population"]
    assert ml2["ml2_type_flat"]["flat_networks"] == "*"
    assert ml2["ml2_type_vlan"]["network_vlan_ranges"] == "physnet1"


def test_neutron_runs_the_ironic_neutron_agent_on_the_control_plane(rendered):
    objects = rendered["neutron"]
    values = values_a("neutron")
    agent = named(objects, "Deployment", "neutron-ironic-agent")
    assert agent["metadata"]["labels"]["app.kubernetes.io/component"] == "ironic-agent"
    assert agent["spec"]["replicas"] == values["replicas"]["ironic_agent"] == 1
    # Control plane: no host, no species; the post-renderer's default places it.
    assert HOSTNAME_ANNOTATION not in (agent["metadata"].get("annotations") or {})
    assert "openstack-helm.org/species" not in agent["metadata"]["labels"]
    spec = pod_spec(agent)
    assert "hostNetwork" not in spec and spec["securityContext"] == {"fsGroup": 42435}
    [box] = spec["containers"]
    assert box["image"] == f"{KOLLA_REGISTRY}ironic-neutron-agent{KOLLA_TAG}"
    assert "securityContext" not in box
    assert box["resources"] == values["resources"]["ironic_agent"]
    assert kolla_command(objects, agent) == IRONIC_AGENT
    annotations = agent["spec"]["template"]["metadata"]["annotations"]
    assert re.fullmatch(r"[0-9a-f]{64}", annotations["checksum/secret-ironic-agent"])

    etc = kolla_etc(objects, agent)
    assert set(etc) == {"/etc/neutron/neutron.conf", "/etc/neutron/plugins/ml2/ironic_neutron_agent.ini"}
    rabbit = values["global"]["rabbitmq"]["users"]["neutron"]["password"]
    assert ini(etc["/etc/neutron/neutron.conf"])["DEFAULT"]["transport_url"] == \
        f"rabbit://neutron:{rabbit}@rabbitmq.openstack.svc:5672/openstack"
    ironic = ini(etc["/etc/neutron/plugins/ml2/ironic_neutron_agent.ini"])["ironic"]
    assert dict(ironic) == {
        "auth_url": "http://keystone-api.openstack.svc:5000/v3", "auth_type": "password",
        "project_domain_name": "Default", "user_domain_name": "Default",
        "project_name": "service", "username": "neutron", "password": values["keystone_password"],
        "region_name": "europe-example", "valid_interfaces": "internal"}

    # It waits for neutron's Keystone user with the credentials of [ironic].
    [wait] = spec["initContainers"]
    assert wait["name"] == "wait-keystone-user" and wait["image"] == box["image"]
    assert wait["command"][3:] == ["/var/lib/kolla/config_files/ironic_neutron_agent.ini", "ironic"]


def test_only_the_ironic_agent_of_all_neutron_agents_gets_a_keystone_password(rendered):
    """The node agents' Secret, which every network node and hypervisor reads,
    holds no Keystone password; the ironic agent's own Secret does."""
    password = values_a("neutron")["keystone_password"]
    node_agents = json.dumps(named(rendered["neutron"], "Secret", "neutron-agent"))
    assert password not in node_agents and "ironic_neutron_agent.ini" not in node_agents
    assert password in secret_data(rendered["neutron"], "neutron-ironic-agent")["ironic_neutron_agent.ini"]


def test_neutron_has_no_baremetal_driver_or_agent_in_a_region_without_ironic(tree_a, tmp_path):
    objects = render(tree_a, "neutron", with_hardware("neutron", "ironic_conductors", []), tmp_path)
    ml2 = ini(named(objects, "Secret", "neutron-etc")["stringData"]["ml2_conf.ini"])
    assert ml2["ml2"]["mechanism_drivers"].split(",") == ["openvswitch", "l2population"]
    assert ml2["ml2_type_flat"]["flat_networks"] == "physnet1"
    assert not [o for o in objects if "ironic" in o["metadata"]["name"]]
