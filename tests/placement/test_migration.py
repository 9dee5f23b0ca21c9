"""Legacy scheduler annotations and failure-domain labels become what Kubernetes honours."""
from __future__ import annotations

import json

import pytest

from postrender import podtemplate
from postrender.errors import InputError
from tests.conftest import postrender
from tests.placement.helpers import dump_stream, objects, place, region, validate, workload

POLICY = "species: {}\n"          # the stage on, with nothing to place
TOLERATIONS = "scheduler.alpha.kubernetes.io/tolerations"
AFFINITY = "scheduler.alpha.kubernetes.io/affinity"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def migrate(tmp_path, obj):
    docs, diagnostics, out = place(dump_stream(obj), region(tmp_path, POLICY, base=False))
    [result] = objects(out)
    return result, diagnostics


@pytest.mark.parametrize("kind", ["Pod", "Deployment", "CronJob"])
def test_tolerations_annotation_becomes_spec_tolerations_and_is_removed(tmp_path, kind):
    legacy = [{"key": "species", "operator": "Equal", "value": "network", "effect": "NoSchedule"}]
    obj = workload(kind, "neutron-l3", template_annotations={TOLERATIONS: json.dumps(legacy),
                                                             "keep": "me"})
    result, diagnostics = migrate(tmp_path, obj)
    spec = podtemplate.pod_spec(result)
    assert spec["tolerations"] == legacy
    annotations = podtemplate.template_metadata(result)["annotations"]
    assert TOLERATIONS not in annotations and annotations["keep"] == "me"
    [note] = diagnostics.notes
    assert f"{kind}/neutron-l3" in note and f"moved annotation {TOLERATIONS}" in note
    validate(result)


def test_migrated_toleration_already_in_spec_is_not_duplicated(tmp_path):
    toleration = {"key": "a", "operator": "Exists"}
    obj = workload("Deployment", "x", spec={"tolerations": [toleration]},
                   template_annotations={TOLERATIONS: json.dumps([toleration])})
    result, diagnostics = migrate(tmp_path, obj)
    assert podtemplate.pod_spec(result)["tolerations"] == [toleration]
    assert "0 added, 1 already there" in diagnostics.notes[0]
    assert "annotations" not in podtemplate.template_metadata(result)


def test_affinity_annotation_becomes_spec_affinity_and_is_removed(tmp_path):
    legacy = {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "species", "operator": "In", "values": ["network"]}]}]}}}
    obj = workload("Deployment", "neutron-dhcp", template_annotations={AFFINITY: json.dumps(legacy)})
    result, diagnostics = migrate(tmp_path, obj)
    assert podtemplate.pod_spec(result)["affinity"] == legacy
    assert "annotations" not in podtemplate.template_metadata(result)
    assert f"moved annotation {AFFINITY}" in diagnostics.notes[0]
    validate(result)


def test_affinity_annotation_contradicting_spec_affinity_is_an_error(tmp_path):
    spec_terms = {REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "a", "operator": "Exists"}]}]}}
    legacy = {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "b", "operator": "Exists"}]}]}}}
    obj = workload("Deployment", "x", spec={"affinity": {"nodeAffinity": spec_terms}},
                   template_annotations={AFFINITY: json.dumps(legacy)})
    with pytest.raises(InputError, match=rf"Deployment/x: spec.template.metadata.annotations.{AFFINITY}"):
        migrate(tmp_path, obj)


def test_annotation_that_is_not_json_is_an_input_error_with_its_field(tmp_path):
    obj = workload("Deployment", "x", template_annotations={TOLERATIONS: "[{key: a"})
    with pytest.raises(InputError, match=rf"document 1 Deployment/x: "
                                         rf"spec.template.metadata.annotations.{TOLERATIONS}: not valid JSON"):
        migrate(tmp_path, obj)


def test_failure_domain_zone_becomes_topology_zone_everywhere(tmp_path):
    old, new = "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/zone"
    spec = {
        "nodeSelector": {old: "eu-de-1a"},
        "affinity": {
            "nodeAffinity": {
                REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": [
                    {"key": old, "operator": "In", "values": ["eu-de-1a"]}]}]},
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {
                    "matchExpressions": [{"key": old, "operator": "Exists"}]}}]},
            "podAntiAffinity": {REQUIRED: [{"topologyKey": old, "labelSelector": {
                "matchLabels": {"a": "b"}}}]}},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": old,
                                       "whenUnsatisfiable": "ScheduleAnyway"}],
    }
    result, diagnostics = migrate(tmp_path, workload("Deployment", "x", spec=spec))
    text = json.dumps(podtemplate.pod_spec(result))
    assert old not in text and text.count(new) == 5
    assert len(diagnostics.notes) == 5
    validate(result)


def test_migration_notes_go_to_stderr_and_never_to_stdout(tmp_path):
    overlay = region(tmp_path, POLICY, base=False)
    obj = workload("Deployment", "x", template_annotations={TOLERATIONS: '[{"operator": "Exists"}]'})
    result = postrender(dump_stream(obj), "--root", str(overlay.root), "--overlay", str(overlay.path))
    assert result.returncode == 0, result.stderr
    assert TOLERATIONS in result.stderr.decode()
    assert TOLERATIONS not in result.stdout.decode()
    assert podtemplate.pod_spec(objects(result.stdout.decode())[0])["tolerations"] == [
        {"operator": "Exists"}]
