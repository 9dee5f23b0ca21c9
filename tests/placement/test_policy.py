"""The policy file: what a region may write, and the errors for what it may not."""
from __future__ import annotations

import pytest

from postrender import placement
from postrender.errors import ConfigError
from tests.placement.helpers import dump_stream, place, region, workload

INCLUDE = "include: [../../placement/base.yaml]\n"


def load_error(tmp_path, policy: str, *, base: bool = True) -> str:
    with pytest.raises(ConfigError) as err:
        placement.load(region(tmp_path, policy, base=base))
    return str(err.value)


def test_overlay_without_placement_yaml_declares_no_stage(tmp_path):
    overlay = region(tmp_path, "")
    (overlay.path / "placement.yaml").unlink()
    assert placement.load(overlay) is None


def test_shipped_base_policy_and_region_policy_load(tmp_path):
    from postrender.overlaydir import OverlayDir
    from tests.conftest import ROOT
    stage = placement.load(OverlayDir(ROOT / "overlays" / "europe-example-region", ROOT))
    assert {"hypervisor", "network", "swift-storage"} <= set(stage.policy.species)
    assert [r.name for r in stage.policy.rules][:2] == ["nova-hypervisor", "neutron-network-agents"]
    assert stage.policy.default.zone_spread == {"maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}
    assert stage.policy.default.anywhere_but_dedicated  # kept from the base by the layering


def test_unknown_species_is_an_error_naming_file_field_and_known_species(tmp_path):
    message = load_error(tmp_path, INCLUDE + """\
rules:
  - name: gpu
    match: {name: "*-gpu"}
    species: gpu-node
""")
    assert message.startswith("overlays/r/placement.yaml: rules[0].species: unknown species 'gpu-node'")
    assert "hypervisor" in message and "network" in message


@pytest.mark.parametrize("policy,where,reason", [
    ("spieces: {}\n", "(top level)", "unknown key 'spieces'"),
    ("rules:\n  - name: a\n    match: {kind: [Pod]}\n", "rules[0].match", "unknown key 'kind'"),
    ("rules:\n  - name: a\n    match: {kinds: [Service]}\n", "rules[0].match.kinds[0]",
     "'Service' is not a kind with a pod template"),
    ("rules:\n  - name: a\n    zoneSpread: {whenUnsatisfiable: Maybe}\n",
     "rules[0].zoneSpread.whenUnsatisfiable", "must be one of ScheduleAnyway, DoNotSchedule"),
    ("rules:\n  - name: a\n    zoneSpread: {maxSkew: 0}\n", "rules[0].zoneSpread.maxSkew",
     "must be an integer >= 1"),
    ("rules:\n  - name: a\n    hostname: Not_A_Node\n", "rules[0].hostname", "must be a node name"),
    ("rules:\n  - name: a\n    override: 'yes'\n", "rules[0].override", "must be true or false"),
    ("rules:\n  - match: {}\n", "rules[0].name", "required"),
    ("rules:\n  - {name: a, species: network, anywhereButDedicated: true}\n", "rules[0]",
     "exclude each other"),
    ("species:\n  gpu: {nodeLabels: {gpu: 'yes'}, taint: {key: gpu, effect: NoRun}}\n",
     "species.gpu.taint.effect", "must be one of NoSchedule, NoExecute, PreferNoSchedule"),
    ("species:\n  gpu: {taint: {key: gpu, effect: NoSchedule}}\n", "species.gpu.nodeLabels",
     "required"),
    ("species:\n  gpu: {nodeLabels: {'bad key!': x}}\n", "species.gpu.nodeLabels.bad key!",
     "not a valid label key"),
    ("default: {name: x}\n", "default", "unknown key 'name'"),
    ("rules: {a: 1}\n", "rules", "must be a list"),
])
def test_invalid_policy_is_refused_with_the_field_path(tmp_path, policy, where, reason):
    message = load_error(tmp_path, INCLUDE + policy)
    assert f"overlays/r/placement.yaml: {where}: " in message
    assert reason in message


@pytest.mark.parametrize("selector,detail", [
    ("app.kubernetes.io/name in nova", "expected '('"),
    ("app.kubernetes.io/name=nova,", "ends with ','"),
    ("app.kubernetes.io/name=nova component=api", "expected ','"),
    ("app.kubernetes.io/name in (nova", "unclosed '('"),
    ("-bad=1", "not a valid label key"),
    ("name=" + "x" * 64, "not a valid label value"),
    ("a notin ()", "empty value set"),
    ("=nova", "expected a label key"),
])
def test_invalid_label_selector_syntax_is_refused(tmp_path, selector, detail):
    policy = INCLUDE + f"rules:\n  - name: a\n    match: {{labels: {selector!r}}}\n    species: network\n"
    message = load_error(tmp_path, policy)
    assert "overlays/r/placement.yaml: rules[0].match.labels: invalid label selector" in message
    assert detail in message


def test_duplicate_yaml_key_in_policy_is_refused_with_its_line(tmp_path):
    message = load_error(tmp_path, "rules: []\nrules: []\n")
    assert message.startswith("overlays/r/placement.yaml:2:1: duplicate key 'rules' "
                              "(first at line 1)")


def test_redefining_a_base_rule_needs_override(tmp_path):
    message = load_error(tmp_path, INCLUDE + "rules:\n  - {name: nova-hypervisor, species: network}\n")
    assert "rules[0]: rule 'nova-hypervisor' is already defined in placement/base.yaml" in message
    assert "override: true" in message


def test_region_rule_with_override_replaces_the_base_rule_in_place(tmp_path):
    stage = placement.load(region(tmp_path, INCLUDE + """\
rules:
  - {name: nova-hypervisor, override: true, match: {name: "nova-*"}, species: network}
"""))
    rule = stage.policy.rules[0]
    assert (rule.name, rule.species, rule.file) == ("nova-hypervisor", "network",
                                                   "overlays/r/placement.yaml")


def test_redefining_a_base_species_needs_override(tmp_path):
    message = load_error(tmp_path, INCLUDE + "species:\n  network: {nodeLabels: {role: net}}\n")
    assert "species.network: species 'network' is already defined in placement/base.yaml" in message


def test_include_cycle_is_refused(tmp_path):
    overlay = region(tmp_path, "include: [other.yaml]\n", base=False)
    (overlay.path / "other.yaml").write_text("include: [placement.yaml]\n")
    with pytest.raises(ConfigError, match="include cycle: overlays/r/placement.yaml -> "
                                          "overlays/r/other.yaml -> overlays/r/placement.yaml"):
        placement.load(overlay)


def test_include_outside_the_project_root_is_refused(tmp_path):
    (tmp_path / "elsewhere.yaml").write_text("rules: []\n")
    message = load_error(tmp_path, "include: [../../../elsewhere.yaml]\n", base=False)
    assert "outside the overlay" in message


def test_include_of_a_url_is_refused(tmp_path):
    message = load_error(tmp_path, "include: [https://example.com/base.yaml]\n", base=False)
    assert "remote resource" in message


def test_missing_include_is_an_error_naming_the_entry(tmp_path):
    message = load_error(tmp_path, "include: [nothere.yaml]\n", base=False)
    assert "overlays/r/placement.yaml: include[0]: 'nothere.yaml' does not exist" in message


def test_rule_matching_nothing_is_a_strict_warning(tmp_path):
    overlay = region(tmp_path, INCLUDE + "rules:\n  - {name: ironic, match: {name: 'ironic-*'}, "
                                         "species: master}\n")
    _, diagnostics, _ = place(dump_stream(workload("Deployment", "keystone-api")), overlay,
                              check=True)
    messages = [f.message for f in diagnostics.failures()]
    assert ("overlays/r/placement.yaml: rules[0] (ironic): placement rule matches no workload"
            in messages)
    # The base's optional hypervisor-OVS rule is allowed to match nothing.
    assert not any("neutron-hypervisor-agents" in m for m in messages)


@pytest.mark.parametrize("match,hits", [
    ({"kinds": ["DaemonSet"]}, {"nova-compute"}),
    ({"name": "keystone-*"}, {"keystone-api"}),
    ({"name": ["keystone-*", "nova-*"]}, {"keystone-api", "nova-compute"}),
    ({"namespace": "openstack"}, {"keystone-api"}),
    ({"labels": "app.kubernetes.io/component notin (api)"}, {"nova-compute"}),
    ({"labels": {"app.kubernetes.io/name": "keystone"}}, {"keystone-api"}),
    ({"labels": "!app.kubernetes.io/component"}, set()),
    ({"labels": "app.kubernetes.io/name,app.kubernetes.io/component!=compute"}, {"keystone-api"}),
])
def test_rules_select_by_kind_name_namespace_and_labels(tmp_path, match, hits):
    import yaml
    policy = yaml.safe_dump({"species": {"master": {"nodeLabels": {"species": "master"}}},
                             "rules": [{"name": "probe", "match": match, "species": "master",
                                        "optional": True}]})
    api = workload("Deployment", "keystone-api")
    api["metadata"]["namespace"] = "openstack"
    compute = workload("DaemonSet", "nova-compute", labels={"app.kubernetes.io/name": "nova",
                                                            "app.kubernetes.io/component": "compute"})
    docs, _, _ = place(dump_stream(api, compute), region(tmp_path, policy, base=False))
    placed = {d.name for d in docs if "species" in (d.obj["spec"]["template"]["spec"].get("nodeSelector") or {})}
    assert placed == hits


def cli(tmp_path, policy: str, *args: str):
    from tests.conftest import postrender
    overlay = region(tmp_path, policy)
    return postrender(dump_stream(workload("Deployment", "keystone-api")), "--root",
                      str(overlay.root), "--overlay", str(overlay.path), *args)


def test_unknown_species_fails_the_command_with_nothing_on_stdout(tmp_path):
    result = cli(tmp_path, INCLUDE + "rules:\n  - {name: a, species: gpu}\n")
    assert result.returncode == 4 and result.stdout == b""
    stderr = result.stderr.decode()
    assert "overlays/r/placement.yaml: rules[0].species: unknown species 'gpu'" in stderr
    assert "Traceback" not in stderr


def test_invalid_selector_fails_the_command_with_nothing_on_stdout(tmp_path):
    result = cli(tmp_path, INCLUDE + "rules:\n  - {name: a, match: {labels: 'a in b'}}\n")
    assert result.returncode == 4 and result.stdout == b""
    assert "rules[0].match.labels: invalid label selector" in result.stderr.decode()


def test_rule_matching_nothing_warns_and_fails_only_under_check(tmp_path):
    policy = INCLUDE + "rules:\n  - {name: ironic, match: {name: 'ironic-*'}, species: master}\n"
    warned = cli(tmp_path, policy)
    assert warned.returncode == 0 and warned.stdout
    assert "warning: overlays/r/placement.yaml: rules[0] (ironic): placement rule matches no " \
           "workload" in warned.stderr.decode()
    checked = cli(tmp_path / "check", policy, "--check")
    assert checked.returncode == 5 and checked.stdout == b""
    assert "error: overlays/r/placement.yaml: rules[0] (ironic)" in checked.stderr.decode()


def test_empty_sections_are_allowed(tmp_path):
    stage = placement.load(region(tmp_path, INCLUDE + "species:\nrules:\n"))
    assert stage.policy.rules and stage.policy.species
