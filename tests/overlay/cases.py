"""The differential cases: one stream and one kustomization each, by behaviour.

Each case is run through real `kubectl kustomize` (with the stream as its
first resource) and through the overlay stage; test_differential.py demands
the same objects. Cases name the behaviour they pin down.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import THIRD_PARTY
from tests.overlay.differential import Case

HERE = Path(__file__).resolve().parent
SMALL = (HERE / "inputs" / "small.yaml").read_text()
SELECTORS = (HERE / "inputs" / "selectors.yaml").read_text()


# Plain scalars whose type depends on the YAML dialect (1.1 or 1.2, go-yaml v2 or v3).
SCALARS = ("yes", "no", "on", "off", "y", "n", "True", "TRUE", "tRUE", "0o17", "017", "0x1F",
           "1_000", "1e3", "0b101", "+12", "1:20", "-0", "0.5", "+.5", "1.", "~", "null")


def smp(kind: str, name: str, body: dict, api_version: str = "apps/v1", **meta) -> str:
    body = dict(body)
    metadata = {"name": name, **meta, **body.pop("metadata", {})}
    return yaml.safe_dump({"apiVersion": api_version, "kind": kind, "metadata": metadata, **body},
                          sort_keys=False)


def ops(*operations: dict) -> str:
    return yaml.safe_dump(list(operations), sort_keys=False)


def pod(spec: dict) -> dict:
    return {"spec": {"template": {"spec": spec}}}


CASES: dict[str, Case] = {
    # -- patches: strategic merge -------------------------------------------------
    "smp_inline_merges_containers_env_and_volumes_by_name": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", pod({
            "containers": [{"name": "api", "env": [{"name": "A", "value": "one"},
                                                   {"name": "Z", "value": "26"}]},
                           {"name": "extra", "image": "busybox:1"}],
            "volumes": [{"name": "etc", "configMap": {"name": "web-etc", "defaultMode": 420}},
                        {"name": "ca", "secret": {"secretName": "region-ca"}}]}))}]}),
    "smp_from_path_file": Case(SMALL, {"patches": [{"path": "patches/replicas.yaml"}]}, {
        "patches/replicas.yaml": smp("Deployment", "web-api", {"spec": {"replicas": 5}})}),
    "smp_volume_mounts_merge_by_mount_path": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", pod({"containers": [{"name": "api", "volumeMounts": [
            {"name": "etc2", "mountPath": "/etc/web"},
            {"name": "ca", "mountPath": "/etc/ssl/region", "readOnly": True}]}]}))}]}),
    "smp_ports_merge_by_container_port_and_protocol": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", pod({"containers": [{"name": "api", "ports": [
            {"containerPort": 5000, "protocol": "TCP", "name": "public"},
            {"containerPort": 5000, "protocol": "UDP", "name": "udp"}]}]}))}]}),
    "smp_tolerations_are_replaced_not_merged": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", pod({"tolerations": [
            {"key": "region", "operator": "Equal", "value": "eu", "effect": "NoSchedule"}]}))}]}),
    "smp_scalar_lists_are_replaced": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", pod({"containers": [{"name": "api", "args": ["kolla_start"]}]}))}]}),
    "smp_null_deletes_a_field": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", {"spec": {"replicas": None, "template": {"spec": {
            "containers": [{"name": "api", "resources": None}]}}}})}]}),
    "smp_patch_delete_removes_a_list_element": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", pod({"containers": [{"name": "sidecar", "$patch": "delete"}],
                                      "volumes": [{"name": "all", "$patch": "delete"}]}))}]}),
    "smp_patch_replace_replaces_a_map": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", pod({"containers": [{"name": "api", "resources": {
            "$patch": "replace", "limits": {"memory": "1Gi"}}}]}))}]}),
    "smp_patch_replace_element_replaces_a_list": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", pod({"containers": [{"name": "api", "env": [
            {"$patch": "replace"}, {"name": "ONLY", "value": "1"}]}]}))}]}),
    "smp_patch_merge_directive_merges": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", {"metadata": {"name": "web-api", "labels": {
            "$patch": "merge", "extra": "yes"}}})}]}),
    "smp_patch_delete_removes_the_resource": Case(SMALL, {"patches": [{"patch": smp(
        "CronJob", "web-rotate", {"$patch": "delete"}, api_version="batch/v1")}]}),
    "smp_merge_list_of_scalars_puts_patch_values_first": Case(SMALL, {"patches": [{"patch": smp(
        "Widget", "web-widget", {}, api_version="example.org/v1",
        finalizers=["example.org/second", "example.org/cleanup"])}]}),
    "smp_replaced_lists_are_taken_as_written": Case(SMALL, {"patches": [{"patch": smp(
        "Widget", "web-widget", {"spec": {"items": [{"name": "a", "$patch": "delete"},
                                                    {"name": "b", "size": None}]}},
        api_version="example.org/v1")}]}),
    "smp_custom_resource_lists_are_replaced": Case(SMALL, {"patches": [{"patch": smp(
        "Widget", "web-widget", {"spec": {"items": [{"name": "a", "size": 10}]}},
        api_version="example.org/v1")}]}),
    "smp_multi_document_patch_applies_each": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", {"spec": {"replicas": 3}}) + "---\n" + smp(
        "Service", "web-api", {"spec": {"type": "NodePort"}}, api_version="v1")}]}),
    "smp_target_kind_patches_every_deployment": Case(SMALL, {"patches": [{
        "target": {"kind": "Deployment"},
        "patch": smp("Deployment", "ignored", pod({"priorityClassName": "openstack"}))}]}),
    "smp_target_name_is_an_anchored_regex": Case(SMALL, {"patches": [{
        "target": {"name": "web-.*i"},
        "patch": smp("Deployment", "ignored", {"metadata": {"annotations": {"hit": "yes"}}})}]}),
    "smp_target_namespace_and_group_version": Case(SMALL, {"patches": [{
        "target": {"group": "apps", "version": "v1", "namespace": "openstack"},
        "patch": smp("Deployment", "ignored", {"spec": {"paused": True}})}]}),
    "smp_target_label_selector_equality_and_sets": Case(SMALL, {"patches": [{
        "target": {"labelSelector": "app.kubernetes.io/name=web,app.kubernetes.io/component "
                                    "in (api,db-sync),!tier"},
        "patch": smp("Any", "ignored", {"metadata": {"annotations": {"hit": "yes"}}})}]}),
    "smp_target_annotation_selector": Case(SMALL, {"patches": [{
        "target": {"annotationSelector": "helm.sh/hook"},
        "patch": smp("Job", "ignored", {"spec": {"backoffLimit": 9}}, api_version="batch/v1")}]}),
    "smp_targeted_metadata_maps_pass_through_kustomize_string_maps": Case(SMALL, {"patches": [
        {"target": {"kind": "Deployment", "name": "web-api"},
         "patch": smp("Deployment", "x", {"metadata": {"labels": None,
                                                        "annotations": {"team": None}}})},
        {"target": {"kind": "Service"},
         "patch": smp("Service", "x", {"metadata": {"labels": {"app.kubernetes.io/name": None}}},
                      api_version="v1")},
        {"patch": smp("Job", "web-db-sync", {"metadata": {"labels": None}},
                      api_version="batch/v1")}]}),
    "smp_target_without_allow_name_change_keeps_names": Case(SMALL, {"patches": [{
        "target": {"kind": "ConfigMap"},
        "patch": smp("ConfigMap", "renamed", {"data": {"extra": "x"}}, api_version="v1")}]}),
    "smp_allow_name_change_renames_and_fixes_references": Case(SMALL, {"patches": [{
        "target": {"kind": "ConfigMap", "name": "web-etc"},
        "patch": smp("ConfigMap", "web-etc-eu", {}, api_version="v1"),
        "options": {"allowNameChange": True}}]}),
    "renamed_secret_and_service_account_are_followed_where_kustomize_follows": Case(SMALL, {
        "namespace": "openstack",
        "secretGenerator": [{"name": "pull-secret", "literals": ["q=1"],
                             "type": "kubernetes.io/dockerconfigjson"}],
        "patches": [{"target": {"kind": "Secret", "name": "web-keys"},
                     "patch": smp("Secret", "web-keys-eu", {}, api_version="v1"),
                     "options": {"allowNameChange": True}},
                    {"target": {"kind": "ServiceAccount"},
                     "patch": smp("ServiceAccount", "web-eu", {}, api_version="v1"),
                     "options": {"allowNameChange": True}},
                    {"target": {"kind": "PersistentVolumeClaim"},
                     "patch": smp("PersistentVolumeClaim", "web-data-eu", {}, api_version="v1"),
                     "options": {"allowNameChange": True}}]}),
    "renamed_roles_services_and_priority_classes_are_followed": Case(
        SMALL.replace("serviceAccountName: web", "serviceAccountName: web\n      "
                      "priorityClassName: openstack")
        + "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: web}\n"
          "rules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
          "metadata: {name: crb}\nroleRef: {apiGroup: rbac.authorization.k8s.io, "
          "kind: ClusterRole, name: web-reader}\nsubjects: [{kind: ServiceAccount, name: web, "
          "namespace: default}]\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\n"
          "metadata: {name: openstack}\nvalue: 1000\n---\napiVersion: v1\nkind: Service\n"
          "metadata: {name: db}\nspec: {clusterIP: None, selector: {a: b}}\n",
        {"namespace": "ns1", "patches": [
            {"target": {"kind": kind, "name": name},
             "patch": smp(kind, f"{name}-eu", {}, api_version=api_version),
             "options": {"allowNameChange": True}}
            for kind, name, api_version in (
                ("Role", "web", "rbac.authorization.k8s.io/v1"),
                ("ClusterRole", "web-reader", "rbac.authorization.k8s.io/v1"),
                ("Service", "web-api", "v1"), ("Service", "db", "v1"),
                ("PriorityClass", "openstack", "scheduling.k8s.io/v1"))]}),
    "smp_allow_kind_change_changes_kind": Case(SMALL, {"patches": [{
        "target": {"kind": "DaemonSet"},
        "patch": smp("Deployment", "db-agent", {"spec": {"replicas": 1}}),
        "options": {"allowKindChange": True}}]}),
    "patches_strategic_merge_field_path_and_inline": Case(SMALL, {"patchesStrategicMerge": [
        "psm/job.yaml", smp("Service", "web-api", {"spec": {"type": "NodePort"}}, api_version="v1")]},
        {"psm/job.yaml": smp("Job", "web-db-sync", {"spec": {"backoffLimit": 1}},
                             api_version="batch/v1")}),
    # -- patches: JSON 6902 ----------------------------------------------------------
    "json6902_in_patches_as_yaml": Case(SMALL, {"patches": [{
        "target": {"kind": "Deployment", "name": "web-api"},
        "patch": ops({"op": "replace", "path": "/spec/replicas", "value": 4},
                     {"op": "add", "path": "/spec/template/spec/containers/0/args/-",
                      "value": "--region"},
                     {"op": "remove", "path": "/spec/template/spec/tolerations"})}]}),
    "json6902_in_patches_as_json": Case(SMALL, {"patches": [{
        "target": {"kind": "Service"},
        "patch": '[{"op": "add", "path": "/spec/sessionAffinity", "value": "ClientIP"}]'}]}),
    "json6902_move_copy_test": Case(SMALL, {"patches": [{
        "target": {"kind": "ConfigMap", "name": "web-etc"},
        "patch": ops({"op": "test", "path": "/data/b", "value": "2"},
                     {"op": "copy", "from": "/data/b", "path": "/data/c"},
                     {"op": "move", "from": "/data/b", "path": "/data/d"})}]}),
    "strategic_patch_scalars_read_as_go_yaml_v3_reads_them": Case(SMALL, {"patches": [{
        "patch": "apiVersion: example.org/v1\nkind: Widget\nmetadata: {name: web-widget}\n"
                 "spec:\n" + "".join(f"  k{i}: {v}\n" for i, v in enumerate(SCALARS))}]}),
    "json6902_scalars_read_as_go_yaml_v2_reads_them": Case(SMALL, {"patches": [{
        "target": {"kind": "Widget"},
        "patch": "- op: add\n  path: /spec/values\n  value:\n"
                 + "".join(f"    k{i}: {v}\n" for i, v in enumerate(SCALARS))}]}),
    "resource_scalars_read_as_go_yaml_v3_reads_them": Case(SMALL, {"resources": ["w.yaml"]}, {
        "w.yaml": "apiVersion: example.org/v1\nkind: Widget\nmetadata: {name: region}\n"
                  "spec:\n" + "".join(f"  k{i}: {v}\n" for i, v in enumerate(SCALARS))}),
    "json6902_negative_and_zero_padded_indices": Case(SMALL, {"patches": [{
        "target": {"kind": "Deployment", "name": "web-api"},
        "patch": ops({"op": "add", "path": "/spec/template/spec/containers/-1/args",
                      "value": ["--last"]},
                     {"op": "add", "path": "/spec/template/spec/containers/0/args/01",
                      "value": "--second"},
                     {"op": "remove", "path": "/spec/template/spec/volumes/-2"})}]}),
    "json6902_label_selector_patches_several": Case(SMALL, {"patches": [{
        "target": {"labelSelector": "app.kubernetes.io/name=db"},
        "patch": ops({"op": "add", "path": "/metadata/annotations",
                      "value": {"region": "europe"}})}]}),
    "patches_json6902_field_with_path": Case(SMALL, {"patchesJson6902": [{
        "target": {"group": "apps", "version": "v1", "kind": "StatefulSet", "name": "db-server"},
        "path": "json/replicas.yaml"}]},
        {"json/replicas.yaml": ops({"op": "add", "path": "/spec/replicas", "value": 3})}),
    # -- images -----------------------------------------------------------------------
    "images_new_name_and_tag_on_containers_and_init_containers": Case(SMALL, {"images": [
        {"name": "quay.io/openstack.kolla/keystone", "newName": "registry.europe-example.cloud/kolla/keystone",
         "newTag": "2024.2-eu"},
        {"name": "quay.io/airshipit/kubernetes-entrypoint",
         "newName": "registry.europe-example.cloud/airshipit/kubernetes-entrypoint"}]}),
    "images_digest_replaces_tag": Case(SMALL, {"images": [
        {"name": "docker.io/library/nginx", "digest": "sha256:" + "f" * 64}]}),
    "images_tag_replaces_digest": Case(SMALL, {"images": [
        {"name": "quay.io/openstack.kolla/keystone", "newTag": "2025.1"}]}),
    "images_reach_cronjobs_and_custom_resources": Case(SMALL, {"images": [
        {"name": "quay.io/openstack.kolla/keystone", "newName": "mirror.local:5000/keystone"}]}),
    "images_match_names_with_tag_digest_or_both": Case("".join(
        f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\n"
        f"spec: {{containers: [{{name: c, image: '{image}'}}]}}\n"
        for i, image in enumerate(["nginx", "host:5000/nginx:1", "nginx:1@sha256:abc",
                                   "nginx@sha256:abc", "nginx-extra:1", "docker.io/nginx:1"])),
        {"images": [{"name": "nginx", "newTag": "2"},
                    {"name": "host:5000/nginx", "newName": "mirror/nginx"}]}),
    # -- labels, annotations, namespace -----------------------------------------------
    "labels_pairs_only_touch_metadata": Case(SMALL, {"labels": [
        {"pairs": {"openstack-helm.org/region": "europe-example"}}]}),
    "labels_include_templates": Case(SMALL, {"labels": [
        {"pairs": {"openstack-helm.org/region": "europe-example"}, "includeTemplates": True}]}),
    "labels_include_selectors": Case(SMALL, {"labels": [
        {"pairs": {"region": "eu"}, "includeSelectors": True}]}),
    "common_labels_reach_selectors_templates_and_claims": Case(SMALL, {
        "commonLabels": {"region": "eu"}}),
    "common_labels_reach_every_selector_kustomize_knows": Case(SELECTORS, {
        "commonLabels": {"region": "eu"}, "commonAnnotations": {"owner": "platform"}}),
    "labels_with_templates_but_not_selectors_on_every_kind": Case(SELECTORS, {
        "labels": [{"pairs": {"region": "eu"}, "includeTemplates": True}]}),
    "common_annotations_reach_templates": Case(SMALL, {
        "commonAnnotations": {"openstack-helm.org/region": "europe-example"}}),
    "namespace_skips_cluster_scoped_and_sets_default_subjects": Case(SMALL, {
        "namespace": "openstack-eu"}),
    "common_labels_run_after_labels_entries": Case(SMALL, {
        "commonLabels": {"a": "common", "b": "common"},
        "labels": [{"pairs": {"a": "labels"}}, {"pairs": {"b": "second"}}]}),
    # -- generators ---------------------------------------------------------------------
    "configmap_generator_literals_files_and_envs": Case(SMALL, {"configMapGenerator": [{
        "name": "region", "literals": ["REGION=europe-example", "QUOTED='a b'", "EMPTY="],
        "files": ["gen/region.conf", "renamed.conf=gen/region.conf"],
        "envs": ["gen/region.env"]}]},
        {"gen/region.conf": "[DEFAULT]\nregion = europe\n",
         "gen/region.env": "# comment\nA=1\n\n  B=two=2\nBARE\n"}),
    "generator_env_files_and_literals_keep_quotes_spaces_and_hashes": Case(SMALL, {
        "configMapGenerator": [{"name": "e", "envs": ["e.env"],
                                "literals": ['L1="dq"', "L2= sp ", "L3='x", 'L4=""']}]},
        {"e.env": "\ufeffA=1\r\nB=\"quoted\"\r\nE=x # not a comment\n#F=6\n"
                  "G='single'\nH=a=b\n  \n\t# tab comment\n"}),
    "configmap_generator_binary_file_goes_to_binary_data": Case(SMALL, {"configMapGenerator": [{
        "name": "blob", "files": ["gen/blob.bin"]}]}, {"gen/blob.bin": b"\x00\xff\xfe"}),
    "secret_generator_type_and_hash": Case(SMALL, {"secretGenerator": [
        {"name": "region-tls", "type": "kubernetes.io/tls",
         "files": ["tls.crt=gen/tls.crt", "tls.key=gen/tls.key"]},
        {"name": "empty"}]},
        {"gen/tls.crt": "CERT\n", "gen/tls.key": "KEY\n"}),
    "generator_own_options_win_over_generator_options": Case(SMALL, {
        "generatorOptions": {"labels": {"a": "global"}, "annotations": {"note": "global"}},
        "configMapGenerator": [{"name": "g", "literals": ["k=v"],
                                "options": {"labels": {"a": "own", "b": "own"}}}]}),
    "generator_disable_hash_and_immutable": Case(SMALL, {"configMapGenerator": [
        {"name": "fixed", "literals": ["k=<&>"],
         "options": {"disableNameSuffixHash": True, "immutable": True}},
        {"name": "hashed", "literals": ["k=v"], "options": {"immutable": True}}]}),
    "generator_merge_into_helm_configmap_keeps_name": Case(SMALL, {"configMapGenerator": [
        {"name": "web-etc", "behavior": "merge", "literals": ["b=3", "region=eu"],
         "options": {"labels": {"region": "eu"}}}]}),
    "generator_replace_helm_secret": Case(SMALL, {"secretGenerator": [
        {"name": "web-keys", "behavior": "replace", "literals": ["c=new"]}]}),
    "generated_names_are_rewritten_in_references": Case(SMALL, {
        "resources": ["region/deployment.yaml"],
        "configMapGenerator": [{"name": "region-etc", "literals": ["a=1"]}],
        "secretGenerator": [{"name": "region-keys", "literals": ["k=v"]}]},
        {"region/deployment.yaml": yaml.safe_dump({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "region-agent"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"imagePullSecrets": [{"name": "region-keys"}],
                         "containers": [{"name": "agent", "image": "busybox:1",
                                         "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {
                                             "name": "region-etc", "key": "a"}}},
                                                 {"name": "K", "valueFrom": {"secretKeyRef": {
                                                     "name": "region-keys", "key": "k"}}}],
                                         "envFrom": [{"configMapRef": {"name": "region-etc"}},
                                                     {"secretRef": {"name": "region-keys"}}]}],
                         "volumes": [{"name": "a", "configMap": {"name": "region-etc"}},
                                     {"name": "b", "secret": {"secretName": "region-keys"}},
                                     {"name": "c", "projected": {"sources": [
                                         {"configMap": {"name": "region-etc"}},
                                         {"secret": {"name": "region-keys"}}]}}]}}}})}),
    "generated_names_are_rewritten_only_in_their_namespace": Case(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns1}\n",
        {"configMapGenerator": [
            {"name": "a", "namespace": "ns1", "behavior": "replace", "literals": ["k=v"]},
            {"name": "g", "namespace": "ns1", "literals": ["k=v"]}],
         "resources": ["pods.yaml"]},
        {"pods.yaml": "".join(
            f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}{ns}}}\n"
            "spec: {containers: [{name: c, image: x, envFrom: [{configMapRef: {name: g}}]}]}\n"
            for name, ns in (("p", ", namespace: ns1"), ("q", "")))}),
    "generated_objects_are_patched_before_hashing_and_merge_keeps_only_data": Case(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, labels: {a: b}}\n"
        "type: kubernetes.io/tls\nstringData: {tls.crt: x}\ndata: {old: b2xk}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, "
        "image: 'nginx:1@sha256:abc', envFrom: [{configMapRef: {name: cfg}}, "
        "{secretRef: {name: s}}]}]\n",
        {"secretGenerator": [{"name": "s", "behavior": "merge", "literals": ["new=1"]}],
         "configMapGenerator": [{"name": "cfg", "literals": ["a=1"]}],
         "patchesStrategicMerge": [
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {b: '2'}\n"],
         "patchesJson6902": [{"target": {"version": "v1", "kind": "ConfigMap", "name": "cfg"},
                              "patch": ops({"op": "add", "path": "/data/c", "value": "3"})}],
         "images": [{"name": "nginx", "newTag": "2", "digest": "sha256:def"}]}),
    # -- resources and order --------------------------------------------------------------
    "resources_file_and_directory": Case(SMALL, {"resources": ["secret-tls.yaml", "hardware"],
                                                 "commonLabels": {"region": "eu"}}, {
        "secret-tls.yaml": yaml.safe_dump({"apiVersion": "v1", "kind": "Secret",
                                           "metadata": {"name": "region-tls"},
                                           "type": "kubernetes.io/tls",
                                           "data": {"tls.crt": "Q0VSVA==", "tls.key": "S0VZ"}}),
        "hardware/kustomization.yaml": yaml.safe_dump({
            "resources": ["pod.yaml"], "configMapGenerator": [{"name": "hw", "literals": ["a=b"]}]}),
        "hardware/pod.yaml": yaml.safe_dump({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hw-probe"},
            "spec": {"containers": [{"name": "probe", "image": "busybox:1"}],
                     "volumes": [{"name": "hw", "configMap": {"name": "hw"}}]}})}),
    "resources_list_is_read_as_its_items": Case(SMALL, {"resources": ["list.yaml"]}, {
        "list.yaml": yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "region-a"}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "region-b"}}]})}),
    "json6902_runs_after_namespace_and_labels": Case(SMALL, {
        "namespace": "eu", "labels": [{"pairs": {"stage": "late"}}],
        "patchesJson6902": [{"target": {"version": "v1", "kind": "Service", "name": "web-api",
                                        "namespace": "eu"},
                             "patch": ops({"op": "add", "path": "/spec/clusterIP", "value": "None"})}],
        "patches": [{"target": {"labelSelector": "stage=late"},
                     "patch": ops({"op": "add", "path": "/metadata/annotations/early",
                                   "value": "never"})}]}),
    "targets_match_group_version_and_kind_as_anchored_regexes": Case(SMALL, {"patches": [
        {"target": {"kind": "Config.*|Secret"},
         "patch": ops({"op": "add", "path": "/metadata/labels", "value": {"hit": "regex"}})},
        {"target": {"kind": "Deploy"},
         "patch": ops({"op": "add", "path": "/metadata/labels", "value": {"hit": "prefix"}})},
        {"target": {"group": "app.*", "version": "v.", "kind": "StatefulSet"},
         "patch": ops({"op": "add", "path": "/spec/replicas", "value": 2})}]}),
    "empty_annotations_maps_are_dropped_from_every_object": Case(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n  annotations:\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, annotations: {}}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, annotations: null}\n",
        {"patches": [{"target": {"kind": "ConfigMap", "name": "c"},
                      "patch": ops({"op": "add", "path": "/data", "value": {"k": "v"}})}]}),
    "images_run_after_patches": Case(SMALL, {
        "patches": [{"patch": smp("Deployment", "web-api", pod({"containers": [
            {"name": "api", "image": "quay.io/openstack.kolla/glance:2024.2"}]}))}],
        "images": [{"name": "quay.io/openstack.kolla/glance", "newTag": "eu"}]}),
    "kustomization_without_api_version_is_read": Case(SMALL, {"commonLabels": {"region": "eu"}}),
}

# Every field together on each third-party fixture.
FIXTURE_OVERLAY = {
    "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
    "namespace": "openstack",
    "labels": [{"pairs": {"openstack-helm.org/region": "europe-example"}, "includeTemplates": True}],
    "commonAnnotations": {"openstack-helm.org/owner": "platform"},
    "images": [{"name": "quay.io/airshipit/kubernetes-entrypoint",
                "newName": "registry.europe-example.cloud/airshipit/kubernetes-entrypoint"},
               {"name": "docker.io/library/mariadb", "newTag": "11.4-eu"}],
    "patches": [
        {"target": {"kind": "Deployment"},
         "patch": smp("Deployment", "any", pod({"priorityClassName": "openstack-control"}))},
        {"target": {"kind": "Service", "labelSelector": "application"},
         "patch": ops({"op": "add", "path": "/spec/publishNotReadyAddresses", "value": True})},
        {"target": {"kind": "StatefulSet|DaemonSet|Job"},
         "patch": smp("StatefulSet", "any", {"spec": {"template": {"metadata": {
             "annotations": {"openstack-helm.org/patched": "true"}}}}})},
        {"target": {"kind": "Deployment"},
         "patch": ops({"op": "add", "path": "/metadata/annotations/patched", "value": "json"})},
    ],
    "configMapGenerator": [{"name": "region", "literals": ["REGION=europe-example"]}],
}
for path in THIRD_PARTY:
    CASES[f"fixture_{path.stem}_with_every_field"] = Case(path.read_text(), FIXTURE_OVERLAY)

# -- the cases behind issue 15: each gave other objects than kustomize before -------
PEM = (HERE / "inputs" / "region-ca.pem").read_text()
# nova-api as OpenDev's chart renders it: ports without a protocol.
NOVA_API = yaml.safe_dump({
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nova-api"},
    "spec": {"selector": {"matchLabels": {"app": "nova-api"}}, "template": {
        "metadata": {"labels": {"app": "nova-api"}},
        "spec": {"containers": [{"name": "nova-api", "image": "nova:1", "ports": [
            {"name": "n-api", "containerPort": 8774},
            {"name": "metrics", "containerPort": 9102}]}]}}}}, sort_keys=False)
KINDS_MIX = SMALL + "".join(
    f"---\napiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}{ns}}}\n"
    for api, kind, name, ns in (
        ("v1", "Namespace", "openstack", ""), ("example.org/v1", "Namespace", "tenant", ""),
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "check", ""),
        ("v1", "ConfigMap", "a", ", namespace: ns10"), ("v1", "ConfigMap", "a", ", namespace: ns1"),
        ("v1", "ConfigMap", "b", ""), ("example.org/v1alpha1", "Widget", "w", ""),
        ("v1", "ResourceQuota", "q", ""), ("apps/v1", "ReplicaSet", "r", "")))


def ports_patch(*ports: dict) -> str:
    return smp("Deployment", "nova-api", pod({"containers": [{"name": "nova-api",
                                                            "ports": list(ports)}]}))


def web_api_ports(*ports: dict) -> str:
    return smp("Deployment", "web-api", pod({"containers": [{"name": "api",
                                                           "ports": list(ports)}]}))


CASES.update({
    "why_json6902_replace_of_a_missing_member_adds_it": Case(SMALL, {"patches": [{
        "target": {"kind": "Deployment", "name": "web-api"},
        "patch": ops({"op": "replace", "path": "/spec/paused", "value": True},
                     {"op": "replace", "path": "/spec/template/spec/containers/0/workingDir",
                      "value": "/var/lib/web"})}]}),
    "why_json6902_test_null_passes_on_a_missing_member": Case(SMALL, {"patches": [{
        "target": {"kind": "Service", "name": "web-api"},
        "patch": ops({"op": "test", "path": "/spec/clusterIP", "value": None},
                     {"op": "add", "path": "/spec/clusterIP", "value": "None"})}]}),
    "why_merged_ports_keep_kustomize_order": Case(NOVA_API, {"patches": [{"patch": ports_patch(
        {"containerPort": 9102, "name": "prometheus"},
        {"containerPort": 8775, "name": "n-meta"})}]}),
    "why_secret_generator_hash_of_a_pem_certificate": Case(SMALL, {"secretGenerator": [
        {"name": "s", "files": ["ca.crt=region-ca.pem"]},
        {"name": "tls", "type": "kubernetes.io/tls",
         "files": ["tls.crt=region-ca.pem", "tls.key=region-ca.pem"]}],
        "resources": ["pod.yaml"]},
        {"region-ca.pem": PEM, "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
         "spec: {containers: [{name: c, image: x}], volumes: [{name: ca, secret: "
         "{secretName: s}}]}\n"}),
    "why_sort_options_legacy_as_kustomize_sorts": Case(KINDS_MIX, {
        "sortOptions": {"order": "legacy"}, "configMapGenerator": [
            {"name": "gen", "literals": ["a=b"]}]}),
    "why_sort_options_fifo_keeps_the_stream_order": Case(KINDS_MIX, {
        "sortOptions": {"order": "fifo"}, "resources": ["ns.yaml"],
        "configMapGenerator": [{"name": "gen", "literals": ["a=b"]}]},
        {"ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: region}\n"}),
    "why_bases_are_read_as_resources_after_them": Case(SMALL, {
        "sortOptions": {"order": "fifo"}, "bases": ["base"], "resources": ["extra.yaml"]},
        {"base/kustomization.yaml": yaml.safe_dump({"resources": ["cm.yaml"],
                                                    "commonLabels": {"from": "base"}}),
         "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-base}\n",
         "extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n"}),
    # -- sortOptions ------------------------------------------------------------------
    "sort_options_legacy_with_own_first_and_last_kinds": Case(KINDS_MIX, {"sortOptions": {
        "order": "legacy", "legacySortOptions": {
            "orderFirst": ["Widget", "Service", "Namespace"],
            "orderLast": ["Deployment", "Namespace"]}}}),
    # (Without Namespace among the ranked kinds, another group's Namespace would make
    # kustomize's comparison contradict itself: test_differences.py.)
    "sort_options_legacy_with_empty_options_sorts_by_group_version_kind": Case(KINDS_MIX.replace(
        "apiVersion: example.org/v1\nkind: Namespace", "apiVersion: example.org/v1\nkind: Tenant"), {
        "sortOptions": {"order": "legacy", "legacySortOptions": {}}}),
    "sort_options_legacy_sees_generated_and_hashed_names": Case(SMALL, {
        "sortOptions": {"order": "legacy"},
        "configMapGenerator": [{"name": n, "literals": [f"k={n}"]} for n in ("z", "a", "m")],
        "secretGenerator": [{"name": "web-keys-2", "literals": ["k=v"]}]}),
    "sort_options_fifo_with_legacy_options_is_refused": Case(SMALL, {"sortOptions": {
        "order": "fifo", "legacySortOptions": {"orderFirst": ["Service"]}}}, fails=True),
    "sort_options_unknown_order_is_refused": Case(SMALL, {"sortOptions": {"order": "kind"}},
                                                  fails=True),
    # -- JSON 6902 as evanphx/json-patch v4 applies it ------------------------------------
    "json6902_copy_from_a_missing_member_copies_null": Case(SMALL, {"patches": [{
        "target": {"kind": "ConfigMap", "name": "web-etc"},
        "patch": ops({"op": "copy", "from": "/data/missing", "path": "/data/copied"},
                     {"op": "test", "path": "/data/copied", "value": None},
                     {"op": "remove", "path": "/data/copied"})}]}),
    "json6902_add_at_minus_one_appends": Case(SMALL, {"patches": [{
        "target": {"kind": "Deployment", "name": "web-api"},
        "patch": ops({"op": "add", "path": "/spec/template/spec/containers/0/args/-1",
                      "value": "--last"},
                     {"op": "add", "path": "/spec/template/spec/containers/0/args/-4",
                      "value": "--first"},
                     {"op": "add", "path": "/spec/template/spec/containers/0/args/+1",
                      "value": "--second"})}]}),
    "json6902_remove_and_replace_count_negative_indices_from_the_end": Case(SMALL, {"patches": [{
        "target": {"kind": "Deployment", "name": "web-api"},
        "patch": ops({"op": "remove", "path": "/spec/template/spec/containers/0/args/-1"},
                     {"op": "replace", "path": "/spec/template/spec/containers/-2/args/-2",
                      "value": "kolla_start_debug"})}]}),
    "json6902_move_keeps_the_value_and_test_compares_structures": Case(SMALL, {"patches": [{
        "target": {"kind": "Deployment", "name": "web-api"},
        "patch": ops({"op": "test", "path": "/spec/template/spec/containers/0/resources",
                      "value": {"limits": {"cpu": "1"}, "requests": {"cpu": "100m"}}},
                     {"op": "move", "from": "/spec/template/spec/containers/0/resources",
                      "path": "/spec/template/spec/containers/1/resources"},
                     {"op": "test", "path": "/spec/replicas", "value": 2})}]}),
    "json6902_replace_of_the_whole_object": Case(SMALL, {"patches": [{
        "target": {"kind": "ConfigMap", "name": "web-etc"},
        "patch": ops({"op": "replace", "path": "", "value": {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-etc"},
            "data": {"only": "this"}}})}]}),
    "json6902_test_does_not_take_true_for_one": Case(SMALL, {"patches": [{
        "target": {"kind": "Deployment", "name": "web-api"},
        "patch": ops({"op": "test", "path": "/spec/replicas", "value": True})}]}, fails=True),
    "json6902_test_of_a_missing_member_against_a_value_fails": Case(SMALL, {"patches": [{
        "target": {"kind": "Service"},
        "patch": ops({"op": "test", "path": "/spec/clusterIP", "value": "None"})}]},
        fails=True),
    "json6902_remove_of_a_missing_member_fails": Case(SMALL, {"patches": [{
        "target": {"kind": "Service"},
        "patch": ops({"op": "remove", "path": "/spec/clusterIP"})}]}, fails=True),
    "json6902_add_past_the_end_of_a_list_fails": Case(SMALL, {"patches": [{
        "target": {"kind": "Deployment", "name": "web-api"},
        "patch": ops({"op": "add", "path": "/spec/template/spec/containers/0/args/4",
                      "value": "x"})}]}, fails=True),
    "json6902_replace_under_a_missing_member_fails": Case(SMALL, {"patches": [{
        "target": {"kind": "Service"},
        "patch": ops({"op": "replace", "path": "/spec/missing/field", "value": 1})}]},
        fails=True),
    "json6902_patch_renames_and_references_follow": Case(SMALL, {"patches": [{
        "target": {"kind": "ConfigMap", "name": "web-etc"},
        "patch": ops({"op": "replace", "path": "/metadata/name", "value": "web-etc-eu"})}]}),
    # -- merged lists, in kustomize's order and with its losses ---------------------------
    "merged_ports_all_without_protocol_follow_the_patch_order": Case(NOVA_API, {"patches": [
        {"patch": ports_patch({"containerPort": 8775, "name": "n-meta"},
                              {"containerPort": 8774, "name": "api"})}]}),
    "merged_ports_patch_with_protocol_on_ports_without_is_lost": Case(NOVA_API, {"patches": [
        {"patch": ports_patch({"containerPort": 9102, "name": "prom", "protocol": "TCP"},
                              {"containerPort": 8775, "name": "n-meta", "protocol": "TCP"})}]}),
    "merged_ports_patch_without_protocol_on_ports_with_is_lost": Case(SMALL, {"patches": [
        {"patch": web_api_ports({"containerPort": 5000, "name": "public"},
                                {"containerPort": 8080, "name": "alt"})}]}),
    "merged_ports_with_protocols_put_new_ports_first": Case(SMALL, {"patches": [
        {"patch": web_api_ports({"containerPort": 35357, "protocol": "TCP", "name": "adm"},
                                {"containerPort": 9000, "protocol": "UDP", "name": "u"},
                                {"containerPort": 5000, "protocol": "TCP", "name": "pub"})}]}),
    "merged_env_puts_the_patch_elements_first": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", pod({"containers": [{"name": "api", "env": [
            {"name": "Z", "value": "26"}, {"name": "C", "value": "new"},
            {"name": "A", "value": "one"}]}]}))}]}),
    "merged_containers_new_and_existing_interleave_as_kustomize_orders": Case(SMALL, {
        "patches": [{"patch": smp("Deployment", "web-api", pod({
            "initContainers": [{"name": "init0", "image": "i:0"}, {"name": "init"}],
            "containers": [{"name": "extra", "image": "e:1"}, {"name": "sidecar", "image": "s:2"},
                           {"name": "api", "image": "a:3"}]}))}]}),
    "merged_list_with_a_repeated_element_in_the_object": Case(
        SMALL.replace('        - {name: A, value: "1"}\n',
                      '        - {name: A, value: "1"}\n        - {name: A, value: "2"}\n'),
        {"patches": [{"patch": smp("Deployment", "web-api", {"spec": {"replicas": 3}})}]}),
    "merged_list_with_an_empty_element_in_the_object": Case(
        SMALL.replace('        - {name: A, value: "1"}\n', '        - {}\n        - {name: A, value: "1"}\n'),
        {"patches": [{"patch": smp("Deployment", "web-api", {"spec": {"replicas": 3}})}]}),
    "merged_mounts_one_without_mount_path": Case(
        SMALL.replace("        - {name: etc, mountPath: /etc/web}\n",
                      "        - {name: etc, mountPath: /etc/web}\n        - {name: nopath}\n"),
        {"patches": [{"patch": smp("Deployment", "web-api", pod({"containers": [
            {"name": "api", "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}]}))}]}),
    "merged_element_with_replace_directive_is_lost_as_in_kustomize": Case(SMALL, {"patches": [{
        "patch": smp("Deployment", "web-api", pod({"containers": [
            {"name": "sidecar", "$patch": "replace", "image": "envoy:1"}]}))}]}),
    "merged_new_subtree_applies_its_own_directives": Case(SMALL, {"patches": [{
        "patch": smp("Deployment", "web-api", pod({"containers": [
            {"name": "late", "image": "l:1", "env": [
                {"name": "X", "value": "1"}, {"name": "Y", "$patch": "delete"},
                {"name": "Z", "value": None}],
             "resources": {"limits": {"cpu": None, "memory": "1Gi"}}}]}))}]}),
    "merged_finalizers_with_a_repeated_value_in_the_object": Case(
        SMALL.replace("finalizers: [example.org/cleanup]", "finalizers: [b, a, b]"),
        {"patches": [{"patch": smp("Widget", "web-widget", {}, api_version="example.org/v1",
                                   finalizers=["c", "a"])}]}),
    "merged_spread_constraints_by_two_keys": Case(
        SMALL.replace("      serviceAccountName: web\n", "      serviceAccountName: web\n"
                      "      topologySpreadConstraints:\n"
                      "      - {topologyKey: zone, whenUnsatisfiable: DoNotSchedule, maxSkew: 1}\n"
                      "      - {topologyKey: host, whenUnsatisfiable: ScheduleAnyway, maxSkew: 1}\n"),
        {"patches": [{"patch": smp("Deployment", "web-api", pod({"topologySpreadConstraints": [
            {"topologyKey": "rack", "whenUnsatisfiable": "DoNotSchedule", "maxSkew": 2},
            {"topologyKey": "host", "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 3}]}))}]}),
    "merged_kind_mismatch_fails": Case(SMALL, {"patches": [{"patch": smp(
        "Deployment", "web-api", pod({"containers": {"name": "api"}}))}]}, fails=True),
    "targeted_entry_with_two_strategic_patches_fails": Case(SMALL, {"patches": [{
        "target": {"kind": "Service"},
        "patch": smp("Service", "a", {"spec": {"type": "NodePort"}}, api_version="v1")
        + "---\n" + smp("Service", "b", {"spec": {"type": "NodePort"}}, api_version="v1")}]},
        fails=True),
    "targeted_kind_change_keeps_the_target_api_version": Case(SMALL, {"patches": [{
        "target": {"kind": "DaemonSet"},
        "patch": smp("Deployment", "db-agent", {"spec": {"replicas": 1}},
                     api_version="extensions/v1beta1"),
        "options": {"allowKindChange": True}}]}),
    "labels_entry_without_templates_changes_a_value_an_earlier_entry_shared": Case(SMALL, {
        "labels": [{"pairs": {"tier": "a", "zone": "1"}, "includeTemplates": True},
                   {"pairs": {"tier": "b"}}, {"pairs": {"zone": "2"}, "includeSelectors": True}]}),
    # -- generators: base64 lines -----------------------------------------------------------
    "generator_base64_wraps_from_seventy_characters": Case(SMALL, {"secretGenerator": [
        {"name": "short", "literals": ["k=" + "x" * 51]},
        {"name": "long", "literals": ["k=" + "x" * 52]}],
        "configMapGenerator": [{"name": "bin", "files": ["blob.bin"]}]},
        {"blob.bin": bytes(range(256))}),
    "generator_multi_line_literal_in_a_secret": Case(SMALL, {"secretGenerator": [{
        "name": "ml", "literals": ["script=#!/bin/sh\nset -eu\nexec /usr/bin/" + "a" * 80]}]}),
})
