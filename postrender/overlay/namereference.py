"""Point references at the renamed ConfigMaps and Secrets (hash suffixes).

After generated objects get their hash suffix (or a patch renames one),
every reference to the old name in the same namespace is rewritten: pod
volumes (also projected and PVC claims), env valueFrom, envFrom,
imagePullSecrets (also a ServiceAccount's), serviceAccountName,
priorityClassName, Ingress TLS secrets and backends, a StatefulSet's
serviceName and role bindings' roleRef. It changes nothing else.
"""
from __future__ import annotations

from collections.abc import Iterator

from postrender import podtemplate
from postrender.overlay.selector import CLUSTER_SCOPED, effective_namespace

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
REFERENCED = ("ConfigMap", "Secret", "ServiceAccount", "PersistentVolumeClaim", "Service",
              "Role", "ClusterRole", "PriorityClass")


def _pod_references(spec: dict) -> Iterator[tuple[str, dict, str]]:
    """(referenced kind, mapping, key) for each name field of a pod spec."""
    for volume in spec.get("volumes") or ():
        if not isinstance(volume, dict):
            continue
        if isinstance(volume.get("configMap"), dict):
            yield "ConfigMap", volume["configMap"], "name"
        if isinstance(volume.get("secret"), dict):
            yield "Secret", volume["secret"], "secretName"
        if isinstance(volume.get("persistentVolumeClaim"), dict):
            yield "PersistentVolumeClaim", volume["persistentVolumeClaim"], "claimName"
        for source in (volume.get("projected") or {}).get("sources") or ():
            if isinstance(source, dict):
                if isinstance(source.get("configMap"), dict):
                    yield "ConfigMap", source["configMap"], "name"
                if isinstance(source.get("secret"), dict):
                    yield "Secret", source["secret"], "name"
    for list_name in CONTAINER_LISTS:
        for container in spec.get(list_name) or ():
            if not isinstance(container, dict):
                continue
            for env in container.get("env") or ():
                value_from = (env or {}).get("valueFrom") if isinstance(env, dict) else None
                if isinstance(value_from, dict):
                    if isinstance(value_from.get("configMapKeyRef"), dict):
                        yield "ConfigMap", value_from["configMapKeyRef"], "name"
                    if isinstance(value_from.get("secretKeyRef"), dict):
                        yield "Secret", value_from["secretKeyRef"], "name"
            for source in container.get("envFrom") or ():
                if isinstance(source, dict):
                    if isinstance(source.get("configMapRef"), dict):
                        yield "ConfigMap", source["configMapRef"], "name"
                    if isinstance(source.get("secretRef"), dict):
                        yield "Secret", source["secretRef"], "name"
    for secret in spec.get("imagePullSecrets") or ():
        if isinstance(secret, dict):
            yield "Secret", secret, "name"
    for key in ("serviceAccountName", "serviceAccount"):
        if isinstance(spec.get(key), str):
            yield "ServiceAccount", spec, key
    if isinstance(spec.get("priorityClassName"), str):
        yield "PriorityClass", spec, "priorityClassName"


def references(obj: dict) -> Iterator[tuple[str, dict, str]]:
    spec = podtemplate.pod_spec(obj)
    if spec is not None:
        yield from _pod_references(spec)
    kind = obj.get("kind")
    if kind == "ServiceAccount":
        # kustomize follows imagePullSecrets here, not `secrets`.
        for secret in obj.get("imagePullSecrets") or ():
            if isinstance(secret, dict):
                yield "Secret", secret, "name"
    elif kind == "Ingress":
        spec = obj.get("spec") or {}
        for tls in spec.get("tls") or ():
            if isinstance(tls, dict):
                yield "Secret", tls, "secretName"
        backends = [spec.get("defaultBackend")]
        for rule in spec.get("rules") or ():
            for path in ((rule or {}).get("http") or {}).get("paths") or ():
                backends.append((path or {}).get("backend"))
        for backend in backends:
            service = (backend or {}).get("service") if isinstance(backend, dict) else None
            if isinstance(service, dict):
                yield "Service", service, "name"
    elif kind == "StatefulSet":
        if isinstance((obj.get("spec") or {}).get("serviceName"), str):
            yield "Service", obj["spec"], "serviceName"
    elif kind in ("RoleBinding", "ClusterRoleBinding"):
        role = obj.get("roleRef")
        if isinstance(role, dict) and role.get("kind") in ("Role", "ClusterRole"):
            yield role["kind"], role, "name"


def planned(obj: dict, renames: dict[tuple[str, str, str], str]) -> list[tuple[dict, str, str]]:
    """(mapping, key, new name) for each reference that must change.

    `renames` maps (kind, effective namespace, old name) to the new name.
    """
    meta = obj.get("metadata") or {}
    namespace = effective_namespace(obj.get("kind", ""), meta.get("namespace"))
    changes = []
    for kind, mapping, key in references(obj):
        old = mapping.get(key)
        where = "" if kind in CLUSTER_SCOPED else namespace
        new = renames.get((kind, where, old)) if isinstance(old, str) else None
        if new is not None and new != old:
            changes.append((mapping, key, new))
    return changes


def subjects(obj: dict, moved: dict[tuple[str, str], tuple[str, str]]
             ) -> list[tuple[dict, str, str]]:
    """Role binding subjects that name a ServiceAccount which moved or was renamed."""
    if obj.get("kind") not in ("RoleBinding", "ClusterRoleBinding") or not moved:
        return []
    changes = []
    for subject in obj.get("subjects") or ():
        if not isinstance(subject, dict) or subject.get("kind") != "ServiceAccount":
            continue
        target = moved.get((subject.get("name"), subject.get("namespace") or "default"))
        if target is None:
            continue
        if subject.get("name") != target[0]:
            changes.append((subject, "name", target[0]))
        if subject.get("namespace") != target[1]:
            changes.append((subject, "namespace", target[1]))
    return changes
