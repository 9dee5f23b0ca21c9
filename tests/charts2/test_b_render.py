"""The region renders glance, cinder, manila, barbican, designate and horizon
with Helm 3 and Helm 4: APIs with Services and TLS Ingresses on their ports,
each service's workers, Kolla images from the globals started through their
own entrypoint, config in Secrets with checksum rollout, db-sync and Keystone
registration Jobs, and the storage nodes' services in node groups, each pod
with its own node's files."""
from __future__ import annotations

import ast
import hashlib
import json

import kubernetes_validate
import pytest

from tests.charts2.conftest_b import (DOMAIN, ISCSI_SHARED, REGION, SERVICES, by_name, host_mounts,
                                      job, kolla_command, kolla_etc, kolla_files, of_service, pod_spec,
                                      secret_data)
from tests.charts.conftest import built_chart_tree, documents, region_values

# service: (API workload and Service name, port, Ingress name, Keystone service types)
APIS = {
    "glance": ("glance-api", 9292, "glance", ["image"]),
    "cinder": ("cinder-api", 8776, "cinder", ["block-storage", "volumev3"]),
    "manila": ("manila-api", 8786, "manila", ["shared-file-system", "sharev2"]),
    "barbican": ("barbican-api", 9311, "barbican", ["key-manager"]),
    "designate": ("designate-api", 9001, "designate", ["dns"]),
    "horizon": ("horizon", 80, "horizon", []),
}
# Deployment name: what kolla_start runs in it.
COMMANDS = {
    "glance-api": "glance-api",
    "cinder-api": "/usr/sbin/apache2 -DFOREGROUND",
    "cinder-scheduler": "cinder-scheduler",
    "manila-api": "manila-api",
    "manila-scheduler": "manila-scheduler",
    "barbican-api": "uwsgi --master --emperor /etc/barbican/vassals",
    "barbican-worker": "barbican-worker",
    "barbican-keystone-listener": "barbican-keystone-listener",
    "designate-api": "designate-api",
    "designate-central": "designate-central",
    "designate-worker": "designate-worker",
    "designate-producer": "designate-producer",
    "designate-mdns": "designate-mdns",
    "horizon": "/usr/sbin/apache2 -DFOREGROUND",
}
DB_SYNC = {
    "glance": "glance-manage --config-file /etc/glance/glance-api.conf db_sync",
    "cinder": "cinder-manage db sync",
    "manila": "manila-manage db sync",
    "barbican": "barbican-manage db upgrade",
    "designate": "designate-manage database sync",
}
ENGINES = {"glance": "postgresql", "cinder": "postgresql", "manila": "postgresql",
           "barbican": "mariadb", "designate": "mariadb"}
CONF = {"glance": "glance-api.conf", "cinder": "cinder.conf", "manila": "manila.conf",
        "barbican": "barbican.conf", "designate": "designate.conf"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
HOSTNAME = "placement.openstack-helm.org/hostname"
MIRROR = ("--set", "global.image.registry=mirror.example:5000",
          "--set", "global.image.namespace=kolla-eu", "--set", "global.image.tag=2025.1-rocky-9")


@pytest.fixture(scope="module")
def tree(helm, tmp_path_factory):
    return built_chart_tree(helm, tmp_path_factory)


@pytest.fixture(scope="module")
def objects(tree) -> list[dict]:
    return documents(tree.rendered(REGION))


@pytest.fixture(scope="module")
def ours(objects) -> list[dict]:
    return [o for s in SERVICES for o in of_service(objects, s)]


def workloads(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o["kind"] in WORKLOAD_KINDS]


def env_of(container: dict) -> dict:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.mark.parametrize("version", ["1.30.0", "1.33.0"])
def test_objects_pass_kubernetes_validate_strict(ours, version):
    assert len(ours) > 50
    for obj in ours:
        kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("service", SERVICES)
def test_api_has_a_deployment_a_service_and_a_tls_ingress_on_its_port(objects, service):
    name, port, ingress_name, _ = APIS[service]
    deployment = by_name(objects, "Deployment", name)
    container = pod_spec(deployment)["containers"][0]
    assert [p["containerPort"] for p in container["ports"]] == [port]
    service_obj = by_name(objects, "Service", name)
    assert [p["port"] for p in service_obj["spec"]["ports"]] == [port]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service_obj["spec"]["selector"].items() <= pod_labels.items()
    ingress = by_name(objects, "Ingress", ingress_name)
    host = f"{service}.{DOMAIN}"
    assert ingress["spec"]["tls"] == [{"hosts": [host], "secretName": "openstack-tls"}]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    rule = ingress["spec"]["rules"][0]
    assert rule["host"] == host
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == name
    assert backend["port"]["name"] == container["ports"][0]["name"]
    assert by_name(objects, "Secret", "openstack-tls")["type"] == "kubernetes.io/tls"


def test_each_workload_runs_its_service_command(objects):
    for name, command in COMMANDS.items():
        assert kolla_command(objects, by_name(objects, "Deployment", name)) == command, name
    ours = {o["metadata"]["name"] for o in objects if o["kind"] == "Deployment"
            and o["metadata"]["labels"]["app.kubernetes.io/name"] in SERVICES}
    assert ours == set(COMMANDS)


def test_kolla_config_files_are_all_in_the_mounted_secret(objects):
    """Every file config.json copies is mounted, on every node the pod runs on."""
    checked = 0
    for obj in workloads(objects):
        if obj["metadata"]["labels"]["app.kubernetes.io/name"] not in SERVICES:
            continue
        hosts = obj["metadata"].get("annotations", {}).get(HOSTNAME)
        for node in hosts.split(",") if hosts else [None]:
            config = json.loads(kolla_files(objects, obj)["config.json"])
            copied = set(kolla_etc(objects, obj, node=node))
            needed = {e["dest"] for e in config["config_files"] if not e.get("optional")}
            assert needed <= copied <= {e["dest"] for e in config["config_files"]}, \
                obj["metadata"]["name"]
            checked += 1
    assert checked > 20


def test_every_kolla_container_starts_through_its_images_entrypoint_with_a_global_image(ours):
    seen = 0
    for obj in workloads(ours):
        spec = pod_spec(obj)
        for container in spec["containers"]:
            seen += 1
            assert container["image"].startswith("quay.io/openstack.kolla/")
            assert container["image"].endswith(":2025.1-ubuntu-noble")
            # Kolla's ENTRYPOINT (dumb-init) and CMD (kolla_start) run.
            assert "command" not in container and "args" not in container, obj["metadata"]["name"]
            assert env_of(container)["KOLLA_CONFIG_STRATEGY"]["value"] == "COPY_ALWAYS"
    # 14 Deployments, 3 storage DaemonSets (cinder-volume, cinder-iscsid, manila-share),
    # 5 db-sync, 5 ks-register and the pool-update Job.
    assert seen == 28


def test_images_follow_the_global_registry_namespace_and_tag(tree):
    mirrored = [o for s in SERVICES for o in of_service(tree.render(REGION, *MIRROR), s)]
    images = {c["image"] for o in workloads(mirrored) for c in pod_spec(o)["containers"]}
    assert "mirror.example:5000/kolla-eu/glance-api:2025.1-rocky-9" in images
    assert "mirror.example:5000/kolla-eu/kolla-toolbox:2025.1-rocky-9" in images
    assert all(i.startswith("mirror.example:5000/kolla-eu/") and i.endswith(":2025.1-rocky-9")
               for i in images), images


def test_every_object_and_pod_template_carries_the_standard_labels(ours):
    for obj in ours:
        labels = obj["metadata"]["labels"]
        for key in ("name", "component", "instance", "part-of", "managed-by"):
            assert f"app.kubernetes.io/{key}" in labels, (obj["kind"], obj["metadata"]["name"])
        if obj["kind"] in WORKLOAD_KINDS:
            template = obj["spec"]["template"]["metadata"]["labels"]
            assert template["app.kubernetes.io/name"] == labels["app.kubernetes.io/name"]
            assert template["app.kubernetes.io/component"] == labels["app.kubernetes.io/component"]
            assert not {"tolerations", "nodeSelector", "affinity"} & set(pod_spec(obj))


def test_pod_templates_carry_the_checksum_of_their_config_secret(objects, tree):
    for obj in workloads(objects):
        service = obj["metadata"]["labels"]["app.kubernetes.io/name"]
        if service in SERVICES and obj["kind"] == "Deployment":
            annotations = obj["spec"]["template"]["metadata"]["annotations"]
            assert len(annotations["checksum/secret-etc"]) == 64
    changed = tree.render(REGION, "--set", "openstack.glance.conf.debug=true")

    def checksum(objs, name):
        return by_name(objs, "Deployment", name)["spec"]["template"]["metadata"][
            "annotations"]["checksum/secret-etc"]

    assert checksum(changed, "glance-api") != checksum(objects, "glance-api")
    assert checksum(changed, "cinder-api") == checksum(objects, "cinder-api")
    # A Job's pod template is immutable: a changed config makes a new Job.
    assert job(changed, "glance-db-sync")["metadata"]["name"] != \
        job(objects, "glance-db-sync")["metadata"]["name"]
    assert job(changed, "cinder-db-sync")["metadata"]["name"] == \
        job(objects, "cinder-db-sync")["metadata"]["name"]


@pytest.mark.parametrize("service", sorted(DB_SYNC))
def test_db_sync_job_runs_the_manage_command_on_the_service_database(objects, service):
    sync = job(objects, f"{service}-db-sync")
    assert kolla_command(objects, sync) == DB_SYNC[service]
    assert sync["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    assert sync["spec"]["backoffLimit"] >= 6
    assert "helm.sh/hook" not in sync["metadata"].get("annotations", {})
    region = region_values()
    password = region["global"]["database"][service]["password"]
    conf = kolla_files(objects, sync)[CONF[service]]
    url = {"postgresql": f"postgresql+psycopg2://{service}:{password}@postgresql.openstack.svc:5432/{service}",
           "mariadb": f"mysql+pymysql://{service}:{password}@mariadb.openstack.svc:3306/{service}"}
    assert f"connection = {url[ENGINES[service]]}" in conf
    # The database chart creates that database and user.
    job(objects, f"{ENGINES[service]}-db-init-{service}")


@pytest.mark.parametrize("service", sorted(DB_SYNC))
def test_keystone_registration_job_registers_user_services_and_endpoints(objects, service):
    name, port, _, types = APIS[service]
    register = job(objects, f"{service}-ks-register")
    container = pod_spec(register)["containers"][0]
    assert container["image"] == "quay.io/openstack.kolla/kolla-toolbox:2025.1-ubuntu-noble"
    assert container["envFrom"] == [{"secretRef": {"name": "keystone-admin"}}]
    by_name(objects, "Secret", "keystone-admin")
    env = env_of(container)
    assert env["OSH_SERVICE_USER"]["value"] == service
    ref = env["OSH_SERVICE_PASSWORD"]["valueFrom"]["secretKeyRef"]
    password = region_values()["openstack"][service]["keystone_password"]
    assert secret_data(by_name(objects, "Secret", ref["name"]))[ref["key"]] == password
    assert f"password = {password}" in kolla_files(
        objects, by_name(objects, "Deployment", name))[CONF[service]]
    assert env["OSH_ROLES"]["value"].split() == ["admin", "service"]
    services = [line.split("|")[0] for line in env["OSH_SERVICES"]["value"].splitlines()]
    assert services == types
    endpoints = [line.split("|") for line in env["OSH_ENDPOINTS"]["value"].splitlines()]
    assert sorted((t, i) for t, i, _ in endpoints) == sorted(
        (t, i) for t in types for i in ("public", "internal", "admin"))
    for _type, interface, url in endpoints:
        if interface == "public":
            assert url.startswith(f"https://{service}.{DOMAIN}")
        else:
            assert url.startswith(f"http://{name}.openstack.svc:{port}")
    files = kolla_files(objects, register)
    assert kolla_command(objects, register) == "/bin/sh /var/lib/kolla/config_files/ks-register.sh"
    script = files["ks-register.sh"]
    assert "openstack endpoint create" in script and "openstack user create" in script


def test_glance_keeps_images_on_a_pvc_mounted_where_the_file_store_writes(objects):
    pvc = by_name(objects, "PersistentVolumeClaim", "glance-images")
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    deployment = by_name(objects, "Deployment", "glance-api")
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    volume = next(v for v in pod_spec(deployment)["volumes"] if "persistentVolumeClaim" in v)
    assert volume["persistentVolumeClaim"]["claimName"] == "glance-images"
    mount = next(m for m in pod_spec(deployment)["containers"][0]["volumeMounts"]
                 if m["name"] == volume["name"])
    conf = kolla_files(objects, deployment)["glance-api.conf"]
    assert "enabled_backends = file:file" in conf
    for line in conf.splitlines():
        if line.startswith("filesystem_store_datadir"):
            assert line.split(" = ")[1].startswith(mount["mountPath"] + "/")


def storage_daemonsets(objects: list[dict], component: tuple = ("volume", "share")) -> dict[str, dict]:
    """{host: the cinder-volume or manila-share DaemonSet (or those of `component`) pinned to it}."""
    out = {}
    for obj in objects:
        labels = obj["metadata"]["labels"]
        if obj["kind"] == "DaemonSet" and labels["app.kubernetes.io/name"] in SERVICES \
                and labels["app.kubernetes.io/component"] in component:
            for host in obj["metadata"]["annotations"][HOSTNAME].split(","):
                assert host not in out, host
                out[host] = obj
    return out


def test_each_storage_node_runs_its_service_with_its_own_host_and_backend(objects):
    hardware = region_values()["global"]["hardware"]
    daemonsets = storage_daemonsets(objects)
    nodes = [(e["hostname"], "cinder-volume", "/etc/cinder/cinder-volume.conf")
             for e in hardware["volumes"]] + \
            [(e["hostname"], "manila-share", "/etc/manila/manila-share.conf")
             for e in hardware["shares"]]
    assert set(daemonsets) == {node for node, _, _ in nodes}
    for node, service, own in nodes:
        daemonset = daemonsets[node]
        group = daemonset["spec"]["selector"]["matchLabels"]["openstack-helm.org/node-group"]
        backend = "lvm-" if service == "cinder-volume" else ""
        assert daemonset["metadata"]["name"] == f"{service}-{backend}group-{group}"
        spec = pod_spec(daemonset)
        assert spec["containers"][0]["securityContext"] == {"privileged": True}
        assert spec["hostNetwork"] is True
        etc = kolla_etc(objects, daemonset, node=node)
        assert f"host = {node}" in etc[own].splitlines()
        assert kolla_command(objects, daemonset) == (
            f"{service} --config-file /etc/{service.split('-')[0]}/{service.split('-')[0]}.conf "
            f"--config-file {own}")
    share = kolla_etc(objects, daemonsets["share-001"], node="share-001")
    assert "lvm_share_export_ips = 10.20.9.21" in share["/etc/manila/manila-share.conf"].splitlines()
    assert not [o for o in objects if o["kind"] == "Deployment"
                and o["metadata"]["name"].startswith(("cinder-volume", "manila-share"))]


def test_an_nfs_volume_node_runs_in_the_pod_network_with_its_exports(tree):
    objects = tree.render(REGION, "--set-json", 'global.hardware.volumes=["vol-001",'
                          '{"hostname":"vol-002","backend":"nfs","nfs_shares":["nas-1:/export/cinder"]}]')
    daemonsets = storage_daemonsets(objects)
    nfs = daemonsets["vol-002"]
    assert nfs["metadata"]["name"].startswith("cinder-volume-nfs-group-")
    assert "hostNetwork" not in pod_spec(nfs)
    etc = kolla_etc(objects, nfs, node="vol-002")
    assert etc["/etc/cinder/nfs_shares"].strip() == "nas-1:/export/cinder"
    assert "volume_driver = cinder.volume.drivers.nfs.NfsDriver" in etc["/etc/cinder/cinder-volume.conf"]
    # A host listed by name alone takes volume_defaults.
    lvm = kolla_etc(objects, daemonsets["vol-001"], node="vol-001")["/etc/cinder/cinder-volume.conf"]
    assert "volume_group = cinder-volumes" in lvm.splitlines() and "host = vol-001" in lvm


def test_adding_a_storage_node_rolls_no_other_pod(tree, objects):
    """Per-node files live apart from the common config: no checksum but the new group's moves."""
    grown = tree.render(REGION, "--set-json",
                        'global.hardware.volumes=[{"hostname":"vol-001","zone":"europe-example-a"},"vol-777"]')
    before = {(o["kind"], o["metadata"]["name"]): o["spec"]["template"] for o in workloads(objects)
              if o["kind"] != "Job"}
    after = {(o["kind"], o["metadata"]["name"]): o["spec"]["template"] for o in workloads(grown)
             if o["kind"] != "Job"}
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == {("DaemonSet", storage_daemonsets(grown, component)["vol-777"]["metadata"]["name"])
                       for component in (("volume",), ("iscsid",))}


# --- iscsid on the lvm volume nodes ---------------------------------------------

NFS_NODE = '{"hostname":"vol-002","backend":"nfs","nfs_shares":["nas-1:/export/cinder"]}'


def test_each_lvm_volume_node_runs_one_iscsid_and_an_nfs_node_none(tree):
    objects = tree.render(REGION, "--set-json", f'global.hardware.volumes=["vol-001",{NFS_NODE},"vol-003"]')
    iscsids = storage_daemonsets(objects, ("iscsid",))
    assert set(iscsids) == {"vol-001", "vol-003"}
    volumes = storage_daemonsets(objects)
    for host, iscsid in iscsids.items():
        group = iscsid["spec"]["selector"]["matchLabels"]["openstack-helm.org/node-group"]
        assert iscsid["metadata"]["name"] == f"cinder-iscsid-group-{group}"
        assert iscsid["metadata"]["annotations"][HOSTNAME] == volumes[host]["metadata"]["annotations"][HOSTNAME]
        spec = pod_spec(iscsid)
        assert spec["hostNetwork"] is True and spec["containers"][0]["securityContext"] == {"privileged": True}
        assert spec["containers"][0]["image"].split("/")[-1] == "iscsid:2025.1-ubuntu-noble"
        assert kolla_command(objects, iscsid) == "iscsid -d 8 -f"
        own = host_mounts(iscsid, "iscsid")
        assert own["/dev"] == ("/dev", False) and own["/lib/modules"] == ("/lib/modules", True)
        # The initiator name, node records and record lock are the host's, and
        # cinder-volume attaches with the very same ones (and the same network
        # namespace: iscsiadm reaches iscsid by an abstract unix socket).
        volume = host_mounts(volumes[host], "volume")
        for path in ISCSI_SHARED:
            assert own[path] == volume[path] == (path, False), path
        assert pod_spec(volumes[host])["hostNetwork"] is True
    assert not set(ISCSI_SHARED) & set(host_mounts(volumes["vol-002"], "volume"))


def test_a_volume_node_that_is_a_kvm_hypervisor_runs_novas_iscsid_only(tree):
    # One iscsid a host: a second would find its control socket taken.
    objects = tree.render(REGION, "--set-json", 'global.hardware.volumes=["vol-001","kvm-002"]')
    iscsids = [(o["metadata"]["name"], h) for o in objects if o["kind"] == "DaemonSet"
               and o["metadata"]["labels"]["app.kubernetes.io/component"] == "iscsid"
               for h in o["metadata"]["annotations"][HOSTNAME].split(",")]
    hosts = [h for _, h in iscsids]
    assert sorted(hosts) == sorted(set(hosts)) == ["kvm-001", "kvm-002", "kvm-003", "vol-001"]
    assert [n for n, h in iscsids if h == "kvm-002"][0].startswith("nova-iscsid-group-")
    # Its cinder-volume still shares the host's /etc/iscsi with that iscsid.
    volume = host_mounts(storage_daemonsets(objects)["kvm-002"], "volume")
    assert all(volume[path] == (path, False) for path in ISCSI_SHARED)


def test_without_iscsid_no_node_runs_it_and_no_volume_service_mounts_etc_iscsi(tree):
    objects = tree.render(REGION, "--set", "global.iscsid.enabled=false")
    assert not [o for o in objects if o["kind"] == "DaemonSet"
                and o["metadata"]["labels"]["app.kubernetes.io/component"] == "iscsid"]
    for workload in workloads(objects):
        for container in pod_spec(workload)["containers"]:
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert not set(ISCSI_SHARED) & mounts, workload["metadata"]["name"]
    assert "config-iscsid.json" not in secret_data(by_name(objects, "Secret", "cinder-etc"))
    assert "config-iscsid.json" in secret_data(by_name(tree.render(REGION), "Secret", "cinder-etc"))


def test_iscsid_enabled_must_be_a_boolean(tree):
    result = tree.template(REGION, "--set", "global.iscsid.enabled=maybe", check=False)
    assert result.returncode != 0 and "iscsid" in result.stderr, result.stderr


def test_designate_mdns_serves_dns_on_5354_over_tcp_and_udp(objects):
    service = by_name(objects, "Service", "designate-mdns")
    assert sorted((p["port"], p["protocol"]) for p in service["spec"]["ports"]) == \
        [(5354, "TCP"), (5354, "UDP")]
    assert service["spec"]["type"] == "LoadBalancer"
    mdns = pod_spec(by_name(objects, "Deployment", "designate-mdns"))["containers"][0]
    assert sorted((p["containerPort"], p["protocol"]) for p in mdns["ports"]) == \
        [(5354, "TCP"), (5354, "UDP")]
    assert mdns["readinessProbe"]["tcpSocket"] == {"port": "dns-tcp"}


def test_designate_pool_targets_the_region_bind9_servers_with_its_rndc_key(objects):
    import yaml
    worker = by_name(objects, "Deployment", "designate-worker")
    files = kolla_files(objects, worker)
    key = region_values()["openstack"]["designate"]["rndc_key"]
    assert f'secret "{key}";' in files["rndc.key"]
    update = job(objects, "designate-pool-update")
    pools = yaml.safe_load(kolla_files(objects, update)["pools.yaml"])
    assert [t["options"]["host"] for t in pools[0]["targets"]] == ["10.20.0.53", "10.20.1.53"]
    assert all(t["masters"] == [{"host": "10.20.0.10", "port": 5354}] for t in pools[0]["targets"])
    assert kolla_command(objects, update) == \
        "designate-manage pool update --file /etc/designate/pools.yaml"


BIND9 = ("--set-json", 'openstack.designate.bind9={"enabled":true,"cluster_ip":"10.96.0.53"}',
         "--set-json", 'openstack.designate.mdns={"service_type":"ClusterIP","cluster_ip":"10.96.0.54"}',
         "--set-json", 'openstack.designate.pool.bind9_servers=[]',
         "--set", "openstack.designate.pool.mdns_address=")


def test_a_registration_job_template_follows_its_secret(tree, objects):
    """The post-renderer names a Job by its pod template (postrender/jobnames.py):
    a changed password or script in the registration Secret must change it."""
    other = tree.render(REGION, "--set", "openstack.glance.keystone_password=another-password")
    key = "checksum/secret-ks-register"
    assert job(other, "glance-ks-register")["spec"]["template"]["metadata"]["annotations"][key] != \
        job(objects, "glance-ks-register")["spec"]["template"]["metadata"]["annotations"][key]
    assert job(other, "cinder-ks-register")["spec"]["template"] == \
        job(objects, "cinder-ks-register")["spec"]["template"]


def test_designate_runs_no_bind9_of_its_own_by_default(objects):
    assert not [o for o in objects if o["metadata"]["name"] == "designate-bind9"]
    assert "named.conf" not in by_name(objects, "Secret", "designate-etc")["stringData"]


def test_designate_bind9_of_the_chart_serves_the_pool_at_fixed_service_addresses(tree):
    import yaml
    objects = tree.render(REGION, *BIND9)
    service = by_name(objects, "Service", "designate-bind9")
    assert service["spec"]["clusterIP"] == "10.96.0.53"
    assert sorted((p["port"], p["protocol"]) for p in service["spec"]["ports"]) == \
        [(53, "TCP"), (53, "UDP"), (953, "TCP")]
    assert by_name(objects, "Service", "designate-mdns")["spec"]["clusterIP"] == "10.96.0.54"
    pools = yaml.safe_load(kolla_files(objects, job(objects, "designate-pool-update"))["pools.yaml"])
    [target] = pools[0]["targets"]
    assert target["masters"] == [{"host": "10.96.0.54", "port": 5354}]
    assert target["options"]["host"] == target["options"]["rndc_host"] == "10.96.0.53"
    assert pools[0]["nameservers"] == [{"host": "10.96.0.53", "port": 53}]
    # The worker's rndc and the server's controls share the region's key.
    key = region_values()["openstack"]["designate"]["rndc_key"]
    worker = kolla_files(objects, by_name(objects, "Deployment", "designate-worker"))
    server = by_name(objects, "StatefulSet", "designate-bind9")
    files = kolla_files(objects, server)
    assert worker["rndc.key"] == files["rndc.key"] and f'secret "{key}";' in files["rndc.key"]
    named = files["named.conf"]
    assert 'include "/etc/bind/rndc.key";' in named and "allow-new-zones yes;" in named
    assert 'keys { "designate"; }' in named and 'directory "/var/lib/bind";' in named
    config = json.loads(files["config.json"])
    assert config["command"].split()[:3] == ["/usr/sbin/named", "-u", "bind"]
    assert {"path": "/var/lib/bind", "owner": "bind:bind", "recurse": True} in config["permissions"]
    [claim] = server["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in pod_spec(server)["containers"][0]["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == "/var/lib/bind"


def test_horizon_local_settings_is_python_with_sessions_in_memcached(objects):
    deployment = by_name(objects, "Deployment", "horizon")
    files = kolla_files(objects, deployment)
    tree = ast.parse(files["local_settings"])
    settings = {node.targets[0].id: ast.literal_eval(node.value)
                for node in tree.body if isinstance(node, ast.Assign)}
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.cache"
    assert settings["CACHES"]["default"]["LOCATION"] == "memcached.openstack.svc:11211"
    assert settings["ALLOWED_HOSTS"] == [f"horizon.{DOMAIN}"]
    assert settings["SECRET_KEY"] == region_values()["openstack"]["horizon"]["secret_key"]
    assert settings["OPENSTACK_KEYSTONE_URL"] == "http://keystone-api.openstack.svc:5000/v3"
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    probe = pod_spec(deployment)["containers"][0]["readinessProbe"]["httpGet"]
    assert probe["httpHeaders"] == [{"name": "Host", "value": f"horizon.{DOMAIN}"}]
    assert deployment["spec"]["replicas"] == 2


def test_renders_are_deterministic(tree, objects):
    again = tree.render(REGION)
    digest = [hashlib.sha256(json.dumps(o, sort_keys=True).encode()).hexdigest() for o in again]
    assert digest == [hashlib.sha256(json.dumps(o, sort_keys=True).encode()).hexdigest()
                      for o in objects]
