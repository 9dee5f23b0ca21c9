"""The differential trees: kustomization trees shaped like those operators run.

A script writes Helm's output to `base/all.yaml` (or elsewhere) and runs
kustomize on an overlay; here kustomize gets the stream in that file and the
overlay stage gets it as its stream, the file absent. Bases holding the
stream, overlays of overlays, components, sortOptions and patches whose
target sits in a base. test_differential.py runs them with cases.py's.
"""
from __future__ import annotations

import yaml

from tests.overlay.cases import SMALL, ops, pod, smp
from tests.overlay.differential import Tree

API = "kustomize.config.k8s.io/v1beta1"
COMPONENT = {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component"}


def cm(name: str, **data) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                           "data": data or {"k": "v"}}, sort_keys=False)


# The layout of the README: base/ holds Helm's output and what every region
# shares; an overlay per region on top, and a TLS overlay on one of them.
BASE = {
    "base/kustomization.yaml": {
        "apiVersion": API, "kind": "Kustomization",
        "resources": ["all.yaml"],
        "labels": [{"pairs": {"openstack-helm.org/managed": "kustomize"},
                    "includeTemplates": True}],
        "patches": [
            {"patch": smp("Deployment", "web-api", {"spec": {"replicas": 3}})},
            {"target": {"kind": "Service"},
             "patch": ops({"op": "add", "path": "/spec/sessionAffinity", "value": "ClientIP"})},
            {"target": {"kind": "Deployment|StatefulSet|DaemonSet"},
             "patch": smp("Deployment", "any", pod({"priorityClassName": "openstack"}))}],
        "configMapGenerator": [{"name": "region", "literals": ["REGION=base"]}],
    },
}
EU = {
    "overlays/eu/kustomization.yaml": {
        "resources": ["../../base"],
        "namespace": "openstack-eu",
        "images": [{"name": "quay.io/openstack.kolla/keystone",
                    "newName": "registry.eu.example/kolla/keystone"}],
        "patches": [
            {"patch": smp("Deployment", "web-api", pod({"containers": [
                {"name": "api", "env": [{"name": "REGION", "value": "eu"}]}]}))},
            {"target": {"kind": "ConfigMap", "name": "region"},
             "patch": ops({"op": "replace", "path": "/data/REGION", "value": "eu"})}],
        "configMapGenerator": [{"name": "region", "behavior": "merge",
                                "literals": ["ZONE=eu-1"]}],
    },
}
EU_TLS = {
    "overlays/eu-tls/kustomization.yaml": {
        "resources": ["../eu", "secret-tls.yaml"],
        "commonAnnotations": {"openstack-helm.org/tls": "region"},
        "patches": [{"target": {"kind": "Ingress"}, "patch": ops(
            {"op": "replace", "path": "/spec/tls/0/secretName", "value": "region-tls"})}],
    },
    "overlays/eu-tls/secret-tls.yaml": yaml.safe_dump({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "region-tls"},
        "type": "kubernetes.io/tls", "data": {"tls.crt": "Q0VSVA==", "tls.key": "S0VZ"}}),
}
US = {
    "overlays/us/kustomization.yaml": {
        "bases": ["../../base"],
        "commonLabels": {"region": "us"},
        "patchesStrategicMerge": [smp("Deployment", "web-api", {"spec": {"replicas": 5}})],
        "secretGenerator": [{"name": "web-keys", "behavior": "merge", "literals": ["d=4"]}],
    },
}
REGIONS = {**BASE, **EU, **EU_TLS, **US}


def tree(files: dict, top: str, **options) -> Tree:
    return Tree(SMALL, files, top=top, **options)


def component(**fields) -> dict:
    return {**COMPONENT, **fields}


TREES: dict[str, Tree] = {
    # -- the stream in a base, overlays on top ------------------------------------------
    "why_tree_stream_in_base_with_an_overlay_on_top": tree(REGIONS, "overlays/eu",
                                                           stream_at="base/all.yaml"),
    "why_tree_overlay_of_an_overlay_of_the_stream_base": tree(REGIONS, "overlays/eu-tls",
                                                             stream_at="base/all.yaml"),
    "why_tree_second_overlay_on_the_same_base_through_bases": tree(REGIONS, "overlays/us",
                                                                   stream_at="base/all.yaml"),
    "why_tree_base_patches_reach_chart_objects": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"], "patches": [
            {"target": {"kind": "Deployment"},
             "patch": smp("Deployment", "x", {"metadata": {"annotations": {"base": "yes"}}})},
            {"patch": smp("Job", "web-db-sync", {"spec": {"backoffLimit": 7}},
                          api_version="batch/v1")}],
            "patchesJson6902": [{"target": {"version": "v1", "kind": "ConfigMap",
                                            "name": "web-etc"},
                                 "patch": ops({"op": "add", "path": "/data/base", "value": "1"})}]},
        "overlay/kustomization.yaml": {"resources": ["../base"], "labels": [
            {"pairs": {"tier": "overlay"}}]}}, "overlay", stream_at="base/all.yaml"),
    "why_tree_sort_options_legacy_in_the_overlay": tree(
        {**BASE, "overlays/eu/kustomization.yaml": {**EU["overlays/eu/kustomization.yaml"],
                                                    "sortOptions": {"order": "legacy"}}},
        "overlays/eu", stream_at="base/all.yaml"),
    "why_tree_components_add_and_patch": tree({
        "kustomization.yaml": {"resources": ["all.yaml"],
                               "components": ["components/tls", "components/debug"]},
        "components/tls/kustomization.yaml": component(
            resources=["secret.yaml"],
            patches=[{"target": {"kind": "Ingress"},
                      "patch": ops({"op": "add", "path": "/metadata/annotations",
                                    "value": {"tls": "component"}})}]),
        "components/tls/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: tls}\n"
                                      "type: Opaque\n",
        "components/debug/kustomization.yaml": component(
            configMapGenerator=[{"name": "debug", "literals": ["LEVEL=debug"]}],
            patches=[{"patch": smp("Deployment", "web-api", pod({"containers": [
                {"name": "api", "envFrom": [{"configMapRef": {"name": "debug"}}]}]}))}])},
        ".", stream_at="all.yaml"),
    # -- bases, overlays of overlays ---------------------------------------------------------
    "tree_fifo_order_follows_the_tree": tree({
        "base/kustomization.yaml": {"resources": ["first.yaml", "all.yaml", "last.yaml"],
                                    "configMapGenerator": [{"name": "base-gen",
                                                            "literals": ["a=1"]}]},
        "base/first.yaml": cm("first"), "base/last.yaml": cm("last"),
        "overlay/kustomization.yaml": {"sortOptions": {"order": "fifo"},
                                       "resources": ["before.yaml", "../base", "after.yaml"],
                                       "configMapGenerator": [{"name": "top-gen",
                                                               "literals": ["b=2"]}]},
        "overlay/before.yaml": cm("before"), "overlay/after.yaml": cm("after")},
        "overlay", stream_at="base/all.yaml"),
    "tree_stream_listed_nowhere_is_the_first_resource_of_the_top": tree({
        "kustomization.yaml": {"sortOptions": {"order": "fifo"},
                               "resources": ["base", "mine.yaml"]},
        "mine.yaml": cm("mine"),
        "base/kustomization.yaml": {"resources": ["base.yaml"], "commonLabels": {"b": "1"}},
        "base/base.yaml": cm("base")}, ".", stream_at=None),
    "tree_stream_under_another_name": tree({
        "base/kustomization.yaml": {"resources": ["rendered.yaml"],
                                    "commonAnnotations": {"src": "helm"}},
        "overlay/kustomization.yaml": {"resources": ["../base"], "namespace": "x"}},
        "overlay", stream_at="base/rendered.yaml", stream_name="rendered.yaml"),
    "tree_three_levels_each_with_labels_images_and_patches": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"], "commonLabels": {"level": "base"},
                                    "images": [{"name": "docker.io/library/nginx",
                                                "newTag": "1.27"}]},
        "mid/kustomization.yaml": {"resources": ["../base"],
                                   "labels": [{"pairs": {"mid": "yes"}, "includeSelectors": True}],
                                   "images": [{"name": "docker.io/library/nginx",
                                               "newName": "mirror/nginx"}],
                                   "patches": [{"patch": smp("StatefulSet", "db-server",
                                                             {"spec": {"replicas": 2}})}]},
        "top/kustomization.yaml": {"resources": ["../mid"], "commonLabels": {"level": "top"},
                                   "commonAnnotations": {"owner": "platform"},
                                   "patches": [{"target": {"labelSelector": "mid=yes,level=top",
                                                           "kind": "StatefulSet"},
                                                "patch": ops({"op": "add", "path":
                                                              "/spec/replicas", "value": 4})}]}},
        "top", stream_at="base/all.yaml"),
    "tree_overlay_patch_finds_an_object_by_its_name_before_the_base_namespace": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"], "namespace": "openstack"},
        "overlay/kustomization.yaml": {"resources": ["../base"], "patches": [
            {"patch": smp("Deployment", "web-api", {"spec": {"replicas": 4}})},
            {"target": {"kind": "Service", "namespace": "default"},
             "patch": ops({"op": "add", "path": "/spec/type", "value": "NodePort"})},
            {"target": {"kind": "Secret", "namespace": "openstack"},
             "patch": ops({"op": "add", "path": "/metadata/labels", "value": {"ns": "new"}})}]}},
        "overlay", stream_at="base/all.yaml"),
    "tree_overlay_patch_finds_an_object_renamed_in_the_base": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"], "patches": [{
            "target": {"kind": "ConfigMap", "name": "web-etc"},
            "patch": smp("ConfigMap", "web-etc-base", {}, api_version="v1"),
            "options": {"allowNameChange": True}}]},
        "overlay/kustomization.yaml": {"resources": ["../base"], "patches": [
            {"patch": smp("ConfigMap", "web-etc", {"data": {"by": "original"}},
                          api_version="v1")},
            {"target": {"name": "web-etc-base"},
             "patch": ops({"op": "add", "path": "/data/by2", "value": "current"})}]}},
        "overlay", stream_at="base/all.yaml"),
    "tree_base_generator_hashed_after_the_overlay_patches_it": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml", "pod.yaml"],
                                    "configMapGenerator": [{"name": "cfg",
                                                            "literals": ["a=1"]}]},
        "base/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                         "  containers: [{name: c, image: x, envFrom: [{configMapRef: "
                         "{name: cfg}}]}]\n",
        "overlay/kustomization.yaml": {"resources": ["../base"], "patches": [
            {"patch": smp("ConfigMap", "cfg", {"data": {"b": "2"}}, api_version="v1")}]}},
        "overlay", stream_at="base/all.yaml"),
    "tree_overlay_generator_merges_into_a_base_generator": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"],
                                    "configMapGenerator": [{"name": "cfg", "literals": ["a=1"]},
                                                           {"name": "fixed", "literals": ["a=1"]}],
                                    "secretGenerator": [{"name": "sec", "literals": ["a=1"]}]},
        "overlay/kustomization.yaml": {"resources": ["../base"],
                                       "configMapGenerator": [
                                           {"name": "cfg", "behavior": "merge",
                                            "literals": ["b=2"]},
                                           {"name": "fixed", "behavior": "replace",
                                            "literals": ["c=3"],
                                            "options": {"disableNameSuffixHash": True}}],
                                       "secretGenerator": [{"name": "sec", "behavior": "replace",
                                                            "literals": ["z=9"]}]}},
        "overlay", stream_at="base/all.yaml"),
    "tree_base_deletes_a_chart_object_the_overlay_never_sees": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"], "patches": [
            {"patch": smp("CronJob", "web-rotate", {"$patch": "delete"}, api_version="batch/v1")}]},
        "overlay/kustomization.yaml": {"resources": ["../base"], "patches": [
            {"target": {"kind": "CronJob"},
             "patch": ops({"op": "add", "path": "/spec/suspend", "value": True})}]}},
        "overlay", stream_at="base/all.yaml"),
    "tree_json_patch_in_the_base_then_strategic_in_the_overlay": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"], "patches": [
            {"target": {"kind": "Deployment", "name": "web-api"},
             "patch": ops({"op": "add", "path": "/spec/template/spec/containers/0/env/-",
                           "value": {"name": "FROM_BASE", "value": "1"}})}]},
        "overlay/kustomization.yaml": {"resources": ["../base"], "patches": [
            {"patch": smp("Deployment", "web-api", pod({"containers": [
                {"name": "api", "env": [{"name": "FROM_BASE", "value": "2"},
                                        {"name": "TOP", "value": "3"}]}]}))}]}},
        "overlay", stream_at="base/all.yaml"),
    "tree_two_bases_side_by_side_one_with_the_stream": tree({
        "charts/kustomization.yaml": {"resources": ["all.yaml"]},
        "extras/kustomization.yaml": {"resources": ["cm.yaml"], "namespace": "extras"},
        "extras/cm.yaml": cm("extra"),
        "region/kustomization.yaml": {"sortOptions": {"order": "fifo"},
                                      "resources": ["../extras", "../charts"],
                                      "commonLabels": {"region": "eu"}}},
        "region", stream_at="charts/all.yaml"),
    "tree_sort_options_in_a_base_only_count_at_the_top": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"],
                                    "sortOptions": {"order": "legacy"}},
        "overlay/kustomization.yaml": {"resources": ["../base"],
                                       "sortOptions": {"order": "fifo"}}},
        "overlay", stream_at="base/all.yaml"),
    "tree_the_stream_listed_in_two_bases_fails": tree({
        "a/kustomization.yaml": {"resources": ["all.yaml"]},
        "b/kustomization.yaml": {"resources": ["all.yaml"]},
        "top/kustomization.yaml": {"resources": ["../a", "../b"]}},
        "top", stream_at="a/all.yaml", fails=True),
    # -- values kustomize shares between maps -------------------------------------------------
    "tree_overlay_patch_of_a_base_label_changes_selector_and_template_too": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"], "commonLabels": {"env": "base"},
                                    "commonAnnotations": {"owner": "base"}},
        "overlay/kustomization.yaml": {"resources": ["../base"], "patches": [
            {"patch": smp("Deployment", "web-api", {"metadata": {
                "labels": {"env": "overlay"}, "annotations": {"owner": "overlay"}}})},
            {"target": {"kind": "DaemonSet"}, "patch": smp("DaemonSet", "x", {"spec": {
                "template": {"metadata": {"labels": {"env": "template"}}}}})},
            {"target": {"kind": "StatefulSet"}, "patch": ops(
                {"op": "replace", "path": "/metadata/labels/env", "value": "json"})}]}},
        "overlay", stream_at="base/all.yaml"),
    "tree_overlay_labels_without_templates_reach_what_a_base_labelled_alike": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"], "labels": [
            {"pairs": {"tier": "base"}, "includeTemplates": True}]},
        "overlay/kustomization.yaml": {"resources": ["../base"], "labels": [
            {"pairs": {"tier": "overlay"}}], "commonAnnotations": {"a": "b"}}},
        "overlay", stream_at="base/all.yaml"),
    # -- components ------------------------------------------------------------------------
    "tree_component_holds_the_stream": tree({
        "kustomization.yaml": {"components": ["helm"], "namespace": "openstack"},
        "helm/kustomization.yaml": component(resources=["all.yaml"], commonLabels={"c": "1"})},
        ".", stream_at="helm/all.yaml"),
    "tree_components_run_after_generators_and_before_transformers": tree({
        "kustomization.yaml": {"resources": ["all.yaml"],
                               "configMapGenerator": [{"name": "top", "literals": ["a=1"]}],
                               "components": ["c1"],
                               "commonLabels": {"top": "yes"},
                               "sortOptions": {"order": "fifo"}},
        "c1/kustomization.yaml": component(
            resources=["cm.yaml"],
            configMapGenerator=[{"name": "top", "behavior": "merge", "literals": ["b=2"]}],
            components=["../c2"],
            patches=[{"target": {"kind": "ConfigMap"},
                      "patch": ops({"op": "add", "path": "/metadata/annotations",
                                    "value": {"c1": "seen"}})}]),
        "c1/cm.yaml": cm("from-c1"),
        "c2/kustomization.yaml": component(
            secretGenerator=[{"name": "c2", "literals": ["k=v"]}],
            commonLabels={"c2": "yes"})},
        ".", stream_at="all.yaml"),
    "tree_component_in_a_base_and_in_the_overlay": tree({
        "base/kustomization.yaml": {"resources": ["all.yaml"], "components": ["../probes"]},
        "probes/kustomization.yaml": component(patches=[
            {"target": {"kind": "Deployment"},
             "patch": smp("Deployment", "x", pod({"terminationGracePeriodSeconds": 60}))}]),
        "overlay/kustomization.yaml": {"resources": ["../base"], "components": ["../names"]},
        "names/kustomization.yaml": component(
            patches=[{"target": {"kind": "Secret", "name": "web-keys"},
                      "patch": smp("Secret", "web-keys-eu", {}, api_version="v1"),
                      "options": {"allowNameChange": True}}])},
        "overlay", stream_at="base/all.yaml"),
    "tree_component_listed_as_a_resource_fails": tree({
        "kustomization.yaml": {"resources": ["all.yaml", "c"]},
        "c/kustomization.yaml": component(commonLabels={"c": "1"})},
        ".", stream_at="all.yaml", fails=True),
    "tree_kustomization_listed_as_a_component_fails": tree({
        "kustomization.yaml": {"resources": ["all.yaml"], "components": ["k"]},
        "k/kustomization.yaml": {"commonLabels": {"k": "1"}}},
        ".", stream_at="all.yaml", fails=True),
    "tree_component_patch_matching_nothing_changes_nothing": tree({
        "kustomization.yaml": {"resources": ["all.yaml"], "components": ["c"]},
        "c/kustomization.yaml": component(patches=[
            {"target": {"kind": "HorizontalPodAutoscaler"},
             "patch": ops({"op": "add", "path": "/spec/minReplicas", "value": 2})}])},
        ".", stream_at="all.yaml"),
}
