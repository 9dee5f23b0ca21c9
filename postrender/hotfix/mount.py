"""Hot-fixing the pods that run a component's Kolla venv.

A container is served when its pod template is labelled
`app.kubernetes.io/name: <component>` and its image is the component's own
Kolla image (`.../openstack.kolla/<component>-*`). The pod gets an init
container per served image (`initcontainer`), the patch ConfigMaps mounted in
it, an emptyDir for its output, read-only mounts of the output over
site-packages in each served container, and a checksum of the patches, so
that only a change of patches rolls it. Nothing is ever added twice.
"""
from __future__ import annotations

import hashlib
import json

from postrender import podtemplate
from postrender.document import Document
from postrender.errors import ConfigError
from postrender.hotfix import initcontainer

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


# Kolla 2025.1 images named after a component that are built FROM base, not
# FROM <component>-base, so they hold no venv of it. nova-libvirt runs the
# guests: rolling it for a nova patch would stop every guest on the node.
NO_COMPONENT_VENV = frozenset({"nova-libvirt"})


def runs_component_venv(image: str, component: str) -> bool:
    """A Kolla image of the component itself: nova-api, nova-compute for nova.

    Other Kolla images in the component's pods (kolla-toolbox, openvswitch-*,
    nova-libvirt) have no venv of this component, so its patches mean nothing there.
    """
    name = image_name(image)
    return (is_kolla_image(image) and (name == component or name.startswith(component + "-"))
            and name not in NO_COMPONENT_VENV)


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


def mount(doc: Document, groups: list[list[tuple[str, int]]], names: list[str],
          site_entries: list[str], digest: str) -> None:
    """Init containers, volumes and mounts for the served containers, and the checksum.

    `groups` holds the served containers ((list name, index)), one group per
    distinct image, in pod order; `names` the patch ConfigMaps in part order.
    What is already there from an earlier run over the same stream is kept,
    so the result is the same however often it runs.
    """
    spec = podtemplate.pod_spec(doc.obj)
    prefix = f"{podtemplate.field_path(doc.kind)}.spec"
    # Indexes into the pod's own list: they name the field in errors.
    volumes = [v if isinstance(v, dict) else {} for v in spec.get("volumes") or []]
    config_volumes, new_volumes = _config_volumes(doc, volumes, names, prefix)
    by_position = {(list_name, i): c for list_name, i, c in podtemplate.containers(spec)}
    inits = []
    for group, members in enumerate(groups):
        served = by_position[members[0]]
        inits.append(initcontainer.init_container(group, served, config_volumes, site_entries))
        volume = initcontainer.volume_name(group)
        found = next((i for i, v in enumerate(volumes) if v.get("name") == volume), None)
        if found is None:
            new_volumes.append({"name": volume, "emptyDir": {}})
        elif volumes[found] != {"name": volume, "emptyDir": {}}:
            raise ConfigError(f"volume {volume!r} exists but is not the hot-fix emptyDir; "
                              "the hot-fix init container needs that name",
                              field=f"{prefix}.volumes[{found}]", **doc.error_location())
    current = spec.get("initContainers") or []
    own = {initcontainer.name(group) for group in range(len(groups))}
    # Container names are unique across a pod's init and regular containers.
    for list_name, i, container in podtemplate.containers(spec):
        if container.get("name") in own and not (list_name == "initContainers"
                                                 and initcontainer.is_own(container)):
            raise ConfigError(f"container {container.get('name')!r} is the chart's; the "
                              "hot-fix init container needs that name",
                              field=f"{prefix}.{list_name}[{i}]", **doc.error_location())
    # Ours first: an init container of the chart that runs the component's
    # image must already see the patched copies.
    chart_inits = [c for c in current if not (isinstance(c, dict) and initcontainer.is_own(c))]
    wanted_inits = inits + chart_inits
    mounts = {}
    for group, members in enumerate(groups):
        for position in members:
            mounts[position] = _site_mounts(doc, by_position[position], position, group,
                                            site_entries, prefix)
    meta = podtemplate.template_metadata(doc.obj) or {}
    if (not new_volumes and current == wanted_inits
            and all(m == (by_position[p].get("volumeMounts") or []) for p, m in mounts.items())
            and (meta.get("annotations") or {}).get(CHECKSUM) == digest):
        return
    obj = doc.touch()
    spec = podtemplate.pod_spec(obj)
    for (list_name, i), wanted in mounts.items():
        spec[list_name][i]["volumeMounts"] = wanted
    if "initContainers" in spec:
        spec["initContainers"] = wanted_inits
    else:  # where a reader of the pod spec expects it: before the containers
        template = podtemplate.pod_template(obj)
        template["spec"] = spec = _with_before(spec, "containers", "initContainers", wanted_inits)
    if new_volumes:
        spec["volumes"] = [*(spec.get("volumes") or []), *new_volumes]
    meta = podtemplate.template_metadata(obj, create=True)
    annotations = meta.get("annotations")
    meta["annotations"] = {**(annotations if isinstance(annotations, dict) else {}),
                           CHECKSUM: digest}


def _with_before(mapping: dict, anchor: str, key: str, value) -> dict:
    """`mapping` with `key` inserted just before `anchor` (at the end without it)."""
    out = {}
    for k, v in mapping.items():
        if k == anchor:
            out[key] = value
        out[k] = v
    out.setdefault(key, value)
    return out


def _config_volumes(doc: Document, volumes: list[dict], names: list[str],
                    prefix: str) -> tuple[list[tuple[str, str]], list[dict]]:
    """(volume, ConfigMap) per patch ConfigMap, reusing a volume of all of it that
    the pod already has, and the volumes to add."""
    found_volumes, new_volumes = [], []
    for config_name in names:
        found = next((v.get("name") for v in volumes
                      if (v.get("configMap") or {}).get("name") == config_name
                      and not v["configMap"].get("items")), None)
        if found is None:
            taken = next((i for i, v in enumerate(volumes) if v.get("name") == config_name), None)
            if taken is not None:
                raise ConfigError(f"volume {config_name!r} exists but is not all of ConfigMap "
                                  f"{config_name!r}; the hot-fix init container needs that name",
                                  field=f"{prefix}.volumes[{taken}]", **doc.error_location())
            new_volumes.append({"name": config_name, "configMap": {"name": config_name}})
            found = config_name
        found_volumes.append((found, config_name))
    return found_volumes, new_volumes


def _site_mounts(doc: Document, container: dict, position: tuple[str, int], group: int,
                 site_entries: list[str], prefix: str) -> list[dict]:
    """The container's mounts with the patched copies over site-packages: this
    stage's mounts from an earlier run are replaced, anything else at one of
    those paths is an error."""
    wanted = initcontainer.site_mounts(group, site_entries)
    paths = {m["mountPath"] for m in wanted}
    kept = []
    for mount_ in container.get("volumeMounts") or []:
        if isinstance(mount_, dict) and initcontainer.is_own_volume(mount_.get("name")):
            continue
        if isinstance(mount_, dict) and mount_.get("mountPath") in paths:
            list_name, i = position
            raise ConfigError(f"{mount_['mountPath']} is already mounted from volume "
                              f"{mount_.get('name')!r}: the hot-fix needs that path for its "
                              "patched copy", field=f"{prefix}.{list_name}[{i}].volumeMounts",
                              **doc.error_location())
        kept.append(mount_)
    return kept + wanted
