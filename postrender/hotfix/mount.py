"""Mounting a component's patch ConfigMaps into the pods that run its Kolla venv.

A container gets the mounts when its pod template is labelled
`app.kubernetes.io/name: <component>` and its image is the component's own
Kolla image (`.../openstack.kolla/<component>-*`). Mounts
are read-only at `/<ConfigMap name>`, never duplicated, and the pod template
gets a checksum of the mounted patches, so only a change of patches rolls it.
"""
from __future__ import annotations

import hashlib
import json

from postrender import podtemplate
from postrender.document import Document
from postrender.errors import ConfigError

NAME_LABEL = "app.kubernetes.io/name"
CHECKSUM = "hotfix.openstack-helm.org/patches-checksum"
HELM_HOOK = "helm.sh/hook"


def image_name(image: str) -> str:
    """'nova-api' for quay.io/openstack.kolla/nova-api:2025.1 (no registry, path, tag or digest)."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def is_kolla_image(image: str) -> bool:
    """Kolla's own naming: a repository path segment `kolla` or `*.kolla` before the image name.

    quay.io/openstack.kolla/nova-api:2025.1 and kolla/neutron-server are; a
    registry host is never taken for a segment (mirror.kolla:5000/x/nova is not).
    """
    reference = image.split("@", 1)[0]
    segments = reference.split("/")
    if len(segments) > 1 and ("." in segments[0] or ":" in segments[0]
                              or segments[0] == "localhost"):
        segments = segments[1:]  # the registry host
    return any(s == "kolla" or s.endswith(".kolla") for s in segments[:-1])


def runs_component_venv(image: str, component: str) -> bool:
    """A Kolla image of the component itself: nova-api, nova-compute for nova.

    Other Kolla images in the component's pods (kolla-toolbox, openvswitch-*)
    have no venv of this component, so its patches mean nothing there.
    """
    name = image_name(image)
    return is_kolla_image(image) and (name == component or name.startswith(component + "-"))


def component_of(doc: Document) -> str | None:
    meta = podtemplate.template_metadata(doc.obj) or {}
    labels = meta.get("labels") or {}
    value = labels.get(NAME_LABEL)
    return value if isinstance(value, str) else None


def checksum(config_maps: list[tuple[str, dict]]) -> str:
    """sha256 over the names and data of the ConfigMaps a pod mounts, and nothing else."""
    canonical = json.dumps(sorted((name, sorted(data.items())) for name, data in config_maps),
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def mount(doc: Document, containers: list[tuple[str, int]], names: list[str],
          digest: str) -> None:
    """Volumes for `names`, a read-only mount of each in the given containers, the checksum.

    Volumes and mounts already there (the chart's own, or this stage's on an
    earlier run) are reused: the result is the same however often it runs.
    """
    spec = podtemplate.pod_spec(doc.obj)
    prefix = podtemplate.field_path(doc.kind)
    plan_volumes: dict[str, str] = {}   # ConfigMap name -> volume name
    new_volumes = []
    volumes = spec.get("volumes") or []
    for config_name in names:
        found = next((v.get("name") for v in volumes if isinstance(v, dict)
                      and (v.get("configMap") or {}).get("name") == config_name), None)
        if found is None:
            taken = next((i for i, v in enumerate(volumes)
                          if isinstance(v, dict) and v.get("name") == config_name), None)
            if taken is not None:
                raise ConfigError(f"volume {config_name!r} exists but is not ConfigMap "
                                  f"{config_name!r}; the hot-fix mount needs that name",
                                  field=f"{prefix}.spec.volumes[{taken}]",
                                  **doc.error_location())
            volume = {"name": config_name, "configMap": {"name": config_name}}
            if HELM_HOOK in doc.annotations:
                # A hook runs before the release's ConfigMaps exist: don't wait for them.
                volume["configMap"]["optional"] = True
            new_volumes.append(volume)
            found = config_name
        plan_volumes[config_name] = found
    plan_mounts: list[tuple[str, int, dict]] = []
    container_lists = {(list_name, i): c for list_name, i, c in podtemplate.containers(spec)}
    for list_name, i in containers:
        container = container_lists[(list_name, i)]
        mounts = container.get("volumeMounts") or []
        for config_name in names:
            path = f"/{config_name}"
            at_path = [m for m in mounts if isinstance(m, dict) and m.get("mountPath") == path]
            if any(m.get("name") == plan_volumes[config_name] for m in at_path):
                continue
            if at_path:
                raise ConfigError(f"{path} is already mounted from volume "
                                  f"{at_path[0].get('name')!r}: the hot-fix patches of "
                                  f"ConfigMap {config_name!r} need that path",
                                  field=f"{prefix}.spec.{list_name}[{i}].volumeMounts",
                                  **doc.error_location())
            plan_mounts.append((list_name, i, {"name": plan_volumes[config_name],
                                               "mountPath": path, "readOnly": True}))
    meta = podtemplate.template_metadata(doc.obj) or {}
    if not new_volumes and not plan_mounts and (meta.get("annotations") or {}).get(CHECKSUM) == digest:
        return
    obj = doc.touch()
    spec = podtemplate.pod_spec(obj)
    if new_volumes:
        spec["volumes"] = [*volumes, *new_volumes]
    for list_name, i, volume_mount in plan_mounts:
        container = spec[list_name][i]
        container["volumeMounts"] = [*(container.get("volumeMounts") or []), volume_mount]
    meta = podtemplate.template_metadata(obj, create=True)
    annotations = meta.get("annotations")
    meta["annotations"] = {**(annotations if isinstance(annotations, dict) else {}),
                           CHECKSUM: digest}
