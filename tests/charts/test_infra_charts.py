"""PostgreSQL, MariaDB, RabbitMQ and Memcached as the region renders them:
StatefulSets with PVCs and probes, one database (and user) per service on its
engine, one RabbitMQ user per service, every password from a Secret."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.charts.conftest import CHARTS, REGION

MORE_SERVICES = ("--set", "openstack.mariadb.enabled=true",
                 "--set", "global.database.designate.engine=mariadb",
                 "--set", "global.database.designate.password=designate-db-pw",
                 "--set", "global.database.nova.engine=postgresql",
                 "--set", "global.database.nova.password=nova-db-pw",
                 "--set", "global.rabbitmq.users.nova.password=nova-mq-pw",
                 "--set", "global.rabbitmq.users.neutron.password=neutron-mq-pw")


@pytest.fixture(scope="session")
def objects(chart_tree):
    return chart_tree.render(REGION, *MORE_SERVICES)


def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.mark.parametrize("name, port", [("postgresql", 5432), ("mariadb", 3306)])
def test_database_is_a_statefulset_with_a_pvc_probes_and_a_service(objects, name, port):
    sts = by_kind(objects, "StatefulSet")[name]
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"]
    container = sts["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"] and container["livenessProbe"]
    assert {"name": "data", "mountPath": container["volumeMounts"][0]["mountPath"]} \
        in [{k: m[k] for k in ("name", "mountPath")} for m in container["volumeMounts"]]
    assert by_kind(objects, "Service")[name]["spec"]["ports"][0]["port"] == port
    assert sts["spec"]["serviceName"] in by_kind(objects, "Service")
    password_env = [e for e in container["env"] if "PASSWORD" in e["name"]]
    assert password_env and all("secretKeyRef" in e["valueFrom"] for e in password_env)


def test_pvc_size_and_storage_class_are_values(chart_tree, objects):
    assert by_kind(objects, "StatefulSet")["postgresql"]["spec"]["volumeClaimTemplates"][0]["spec"] \
        ["resources"]["requests"]["storage"] == "20Gi"  # the region's value
    assert "storageClassName" not in by_kind(objects, "StatefulSet")["postgresql"]["spec"] \
        ["volumeClaimTemplates"][0]["spec"]
    fast = chart_tree.render(REGION, "--set", "openstack.postgresql.persistence.storageClass=fast-ssd")
    claim = by_kind(fast, "StatefulSet")["postgresql"]["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["storageClassName"] == "fast-ssd"


def test_both_databases_take_more_connections_than_their_defaults(chart_tree, objects):
    """MariaDB's default is 151, PostgreSQL's 100: a region's services run out."""
    mariadb = by_kind(objects, "StatefulSet")["mariadb"]["spec"]["template"]["spec"]["containers"][0]
    assert mariadb["args"] == ["--max_connections=1000"]
    postgresql = by_kind(objects, "StatefulSet")["postgresql"]["spec"]["template"]["spec"]["containers"][0]
    assert "max_connections=500" in postgresql["args"]
    more = chart_tree.render(REGION, "--set", "openstack.mariadb.parameters.max_connections=4000")
    assert by_kind(more, "StatefulSet")["mariadb"]["spec"]["template"]["spec"]["containers"][0] \
        ["args"] == ["--max_connections=4000"]


def test_one_init_job_per_service_database_on_its_engine(objects):
    jobs = {name.rsplit("-", 1)[0]: job for name, job in by_kind(objects, "Job").items()}
    assert {"postgresql-db-init-keystone", "postgresql-db-init-nova",
            "mariadb-db-init-designate"} <= set(jobs)
    assert "mariadb-db-init-keystone" not in jobs and "postgresql-db-init-designate" not in jobs
    for name in ("postgresql-db-init-nova", "mariadb-db-init-designate"):
        env = {e["name"]: e for e in jobs[name]["spec"]["template"]["spec"]["containers"][0]["env"]}
        engine, service = name.split("-db-init-")
        assert env["DB_NAME"]["value"] == env["DB_USER"]["value"] == service
        assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": f"{engine}-db-users",
                                                                    "key": service}
    users = by_kind(objects, "Secret")
    assert users["postgresql-db-users"]["stringData"]["nova"] == "nova-db-pw"
    assert users["mariadb-db-users"]["stringData"]["designate"] == "designate-db-pw"
    assert "designate" not in users["postgresql-db-users"]["stringData"]


def test_init_job_reruns_when_the_password_changes(chart_tree, objects):
    name = next(n for n in by_kind(objects, "Job") if n.startswith("postgresql-db-init-nova-"))
    changed = chart_tree.render(REGION, *MORE_SERVICES, "--set", "global.database.nova.password=new")
    assert name not in by_kind(changed, "Job")
    assert any(n.startswith("postgresql-db-init-nova-") for n in by_kind(changed, "Job"))


def test_rabbitmq_loads_one_user_per_service_with_rights_on_the_vhost(objects):
    sts = by_kind(objects, "StatefulSet")["rabbitmq"]
    assert sts["spec"]["volumeClaimTemplates"]
    etc = by_kind(objects, "Secret")["rabbitmq-etc"]["stringData"]
    definitions = json.loads(etc["definitions.json"])
    users = {u["name"]: u["password"] for u in definitions["users"]}
    assert users["nova"] == "nova-mq-pw" and users["neutron"] == "neutron-mq-pw"
    assert "admin" in users
    assert definitions["vhosts"] == [{"name": "openstack"}]
    assert {p["user"] for p in definitions["permissions"]} == set(users)
    assert "definitions.local.path = /etc/rabbitmq/definitions.json" in etc["rabbitmq.conf"]
    annotations = sts["spec"]["template"]["metadata"]["annotations"]
    assert "checksum/secret-etc" in annotations  # a new user restarts the node


def test_memcached_is_a_deployment_with_a_service(objects):
    deployment = by_kind(objects, "Deployment")["memcached"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("docker.io/library/memcached:")
    assert by_kind(objects, "Service")["memcached"]["spec"]["ports"][0]["port"] == 11211


@pytest.mark.parametrize("script", ["postgresql/files/db-init.sh", "mariadb/files/db-init.sh"])
def test_db_init_scripts_are_valid_posix_sh(script):
    result = subprocess.run(["sh", "-n", str(CHARTS / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_mariadb_init_script_escapes_sql_literals():
    # The script's own quoting functions, run on hostile input.
    text = (CHARTS / "mariadb" / "files" / "db-init.sh").read_text()
    functions = "\n".join(line for line in text.splitlines() if line.startswith(("literal()", "ident()")))
    out = subprocess.run(["sh", "-c", functions + "\nliteral \"$1\"; echo; ident \"$2\"", "sh",
                          "it's a \\ test", "we`ird"], capture_output=True, text=True).stdout
    assert out.splitlines() == ["it''s a \\\\ test", "we``ird"]
