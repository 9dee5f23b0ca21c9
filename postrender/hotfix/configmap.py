"""The `<component>-patches` ConfigMaps that carry one component's patches.

The first, `<component>-patches`, also carries the init container's program.
Patches are packed in apply order into it, then `<component>-2-patches`,
`<component>-3-patches`, ...: the init container mounts each under
/var/lib/osh/hotfix and applies <dir>/*.patch of every `*-patches` dir there.
A ConfigMap of the same name that the chart already renders is merged into,
never overwritten.
"""
from __future__ import annotations

from postrender.document import Document
from postrender.errors import ConfigError
from postrender.hotfix.patchfile import PatchFile

# Kubernetes rejects a ConfigMap whose keys plus values pass 1 MiB.
MAX_DATA_BYTES = 1 << 20


def name(component: str, part: int) -> str:
    return f"{component}-patches" if part == 1 else f"{component}-{part}-patches"


def data_size(data: dict) -> int:
    return sum(len(str(k).encode()) + len(str(v).encode()) for k, v in data.items())


def pack(component: str, patches: list[PatchFile], existing: dict[str, dict],
         program: dict[str, str] | None = None,
         limit: int = MAX_DATA_BYTES) -> list[tuple[str, dict]]:
    """(ConfigMap name, data to add) for each part, filling parts in order.

    `existing` maps a ConfigMap name to the data the chart already gives it;
    that data counts against the part's limit. `program` goes into the first
    part, after its patches.
    """
    program = dict(program or {})
    parts: list[tuple[str, dict]] = []
    part, data = 1, {}
    used = data_size(existing.get(name(component, part), {})) + data_size(program)
    for patch in patches:
        while used + patch.size > limit:
            if not data and used == 0:
                raise ConfigError(f"patch is {patch.size} bytes, past the {limit}-byte "
                                  "ConfigMap limit on its own: split it", file=patch.path)
            if data:
                parts.append((name(component, part), data))
            part, data = part + 1, {}
            used = data_size(existing.get(name(component, part), {}))
        data[patch.name] = patch.text
        used += patch.size
    if data:
        parts.append((name(component, part), data))
    if program:
        if parts and parts[0][0] == name(component, 1):
            parts[0][1].update(program)
        else:
            parts.insert(0, (name(component, 1), program))
    return parts


def merge(doc: Document, data: dict, patches: dict[str, PatchFile]) -> None:
    """Add keys to a ConfigMap the chart rendered; a different value under a key is an error."""
    current = doc.obj.get("data") or {}
    if not isinstance(current, dict):
        raise ConfigError("data is not a mapping", field="data", **doc.error_location())
    for key, value in data.items():
        if key in current and current[key] != value:
            ours = (f"the patch {patches[key].path} would replace it: rename the patch"
                    if key in patches else "the hot-fix init container's program needs that "
                    "key: rename the chart's")
            raise ConfigError(f"the chart's ConfigMap already has key {key!r}, and {ours}",
                              field=f"data.{key}", **doc.error_location())
    if all(key in current for key in data):
        return  # this stage's own output, run again
    obj = doc.touch()
    obj["data"] = {**current, **data}


def new(config_name: str, namespace: str | None, data: dict, labels: dict) -> Document:
    metadata: dict = {"name": config_name, "labels": labels}
    if namespace is not None:
        metadata["namespace"] = namespace
    return Document({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata,
                     "data": dict(data)})
