"""global.network_policies: off by default; on, a default deny for the
region's pods and, for each Service, a policy opening its ports."""
from __future__ import annotations

import kubernetes_validate
import pytest

from tests.charts.conftest import REGION

ON = ("--set", "global.network_policies.enabled=true",
      "--set-json", 'global.network_policies.from=[{"ipBlock":{"cidr":"10.0.0.0/16"}}]')


@pytest.fixture(scope="module")
def region_with_policies(chart_tree) -> list[dict]:
    return chart_tree.render(REGION, *ON)


def by_name(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_region_renders_no_network_policy_by_default(chart_tree):
    assert not by_name(chart_tree.render(REGION), "NetworkPolicy")


def test_enabled_policies_deny_ingress_to_every_region_pod(region_with_policies):
    deny = by_name(region_with_policies, "NetworkPolicy")["openstack-default-deny-ingress"]
    assert deny["spec"] == {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "openstack"}},
                            "policyTypes": ["Ingress"]}


def test_each_service_gets_a_policy_opening_its_ports(region_with_policies):
    policies = by_name(region_with_policies, "NetworkPolicy")
    for name, service in by_name(region_with_policies, "Service").items():
        policy = policies[name]["spec"]
        assert policy["podSelector"] == {"matchLabels": service["spec"]["selector"]}
        [rule] = policy["ingress"]
        assert rule["ports"] == [{"port": p.get("targetPort", p["port"]), "protocol": p.get("protocol", "TCP")}
                                 for p in service["spec"]["ports"]]
        if service["spec"].get("type") in ("LoadBalancer", "NodePort"):
            assert "from" not in rule, name
        else:
            assert rule["from"] == [{"podSelector": {}}, {"ipBlock": {"cidr": "10.0.0.0/16"}}], name


def test_enabled_policies_pass_kubernetes_validate_strict(region_with_policies):
    for policy in by_name(region_with_policies, "NetworkPolicy").values():
        kubernetes_validate.validate(policy, "1.33.0", strict=True)
