"""Generate postrender/data/patch_schema.json from the Kubernetes OpenAPI data.

Run at commit time (`python -m postrender.overlay.schemagen`); the overlay
stage only reads the JSON it writes. The table keeps, per type, just the
fields through which a list with a merge strategy is reachable: everything
else is merged as a plain map or replaced as a plain list, as kustomize does.
Never hand-edit the output; a test regenerates it and compares.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

KUBERNETES = "1.33.0"
OUTPUT = Path(__file__).resolve().parent.parent / "data" / "patch_schema.json"


def _definitions() -> dict:
    import kubernetes_validate  # a test dependency: needed only to regenerate

    path = (Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
            / f"v{KUBERNETES}-local" / "_definitions.json")
    return json.loads(path.read_text())["$defs"]


def _ref(prop: dict) -> str | None:
    ref = prop.get("$ref") or (prop.get("items") or {}).get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


def build(definitions: dict) -> dict:
    # field entry: [type or null, list merge keys or null]; keys [] = merge list of scalars
    fields: dict[str, dict[str, list]] = {}
    for name, definition in definitions.items():
        entries = {}
        for field, prop in (definition.get("properties") or {}).items():
            strategy = prop.get("x-kubernetes-patch-strategy", "")
            keys = None
            if "merge" in strategy.split(",") and "items" in prop:
                keys = list(prop.get("x-kubernetes-list-map-keys")
                            or ([prop["x-kubernetes-patch-merge-key"]]
                                if "x-kubernetes-patch-merge-key" in prop else []))
            entries[field] = [_ref(prop), keys]
        fields[name] = entries

    # Keep a type only if an associative list can be reached through it.
    matters: dict[str, bool] = {}

    def reaches(name: str, stack: frozenset = frozenset()) -> bool:
        if name in matters:
            return matters[name]
        if name in stack or name not in fields:
            return False
        found = False
        for ref, keys in fields[name].values():
            if keys is not None or (ref and reaches(ref, stack | {name})):
                found = True
        if not stack:
            matters[name] = found
        return found

    types = {}
    for name in sorted(fields):
        if not reaches(name):
            continue
        kept = {f: entry for f, entry in sorted(fields[name].items())
                if entry[1] is not None or (entry[0] and reaches(entry[0]))}
        types[name] = {f: [ref if ref and reaches(ref) else None, keys]
                       for f, (ref, keys) in kept.items()}

    kinds = {}
    for name, definition in sorted(definitions.items()):
        if name not in types:
            continue
        for gvk in definition.get("x-kubernetes-group-version-kind") or ():
            group = gvk["group"]
            api_version = f"{group}/{gvk['version']}" if group else gvk["version"]
            kinds[f"{api_version}/{gvk['kind']}"] = name
    return {"source": f"kubernetes-validate OpenAPI v{KUBERNETES}", "kinds": kinds, "types": types}


def render() -> str:
    return json.dumps(build(_definitions()), indent=0, sort_keys=True, separators=(",", ":")) + "\n"


def main() -> int:
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
