"""A region's hotfix.yaml, and the patches it declares, per component.

hotfix.yaml lists patch dirs, each laid out as `<dir>/<component>/*.patch`.
A dir inside the overlay dir is the region's own; any other is project-wide.
A region patch replaces a project-wide patch of the same component and file
name; the same name twice on the same side is an error. Reads only through
OverlayDir, and never looks at the manifests.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from postrender import yamlio
from postrender.errors import ConfigError
from postrender.hotfix import patchfile
from postrender.hotfix.patchfile import PatchFile
from postrender.overlaydir import OverlayDir

FILE = "hotfix.yaml"
KEYS = {"patchDirs", "kollaImages"}
# The component becomes ConfigMap and volume names `<component>-patches`.
COMPONENT = re.compile(r"^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$")


@dataclass
class Catalog:
    """Validated patches by component, each list in the order the init container applies them."""

    file: str
    patches: dict[str, list[PatchFile]] = field(default_factory=dict)
    kolla_images: tuple[str, ...] = ()
    replaced: list[tuple[PatchFile, PatchFile]] = field(default_factory=list)

    def is_extra_kolla_image(self, image: str) -> bool:
        return any(fnmatch.fnmatchcase(image, pattern) for pattern in self.kolla_images)


def load(overlay_dir: OverlayDir) -> Catalog | None:
    path = overlay_dir.file(FILE)
    if path is None:
        return None
    where = overlay_dir.display(path)
    config = yamlio.load_file(overlay_dir.read_text(FILE), file=where) or {}
    if not isinstance(config, dict):
        raise ConfigError("must be a mapping with 'patchDirs'", file=where)
    unknown = sorted(set(config) - KEYS)
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(map(str, unknown))} "
                          f"(known: {', '.join(sorted(KEYS))})", file=where)
    dirs = _string_list(config, "patchDirs", where)
    images = _string_list(config, "kollaImages", where)
    catalog = Catalog(where, kolla_images=tuple(images))
    # (component, name) -> (patch, region?)
    chosen: dict[tuple[str, str], tuple[PatchFile, bool]] = {}
    seen_dirs: dict[Path, int] = {}
    for i, ref in enumerate(dirs):
        directory = overlay_dir.resolve(ref, referrer=where)
        real = directory.resolve()
        if not directory.is_dir():
            raise ConfigError(f"{ref!r} is not a directory", file=where, field=f"patchDirs[{i}]")
        if real in seen_dirs:
            raise ConfigError(f"{ref!r} is the same dir as patchDirs[{seen_dirs[real]}]",
                              file=where, field=f"patchDirs[{i}]")
        seen_dirs[real] = i
        region = real == overlay_dir.path.resolve() or overlay_dir.path.resolve() in real.parents
        for patch in _read_dir(overlay_dir, directory):
            key = (patch.component, patch.name)
            if key not in chosen:
                chosen[key] = (patch, region)
                continue
            earlier, earlier_region = chosen[key]
            if region and not earlier_region:
                catalog.replaced.append((earlier, patch))
                chosen[key] = (patch, region)
            elif earlier_region and not region:
                catalog.replaced.append((patch, earlier))
            else:
                side = "region" if region else "project-wide"
                raise ConfigError(
                    f"{patch.component}/{patch.name} is in two {side} patch dirs "
                    f"({earlier.path} and {patch.path}); only a region patch may replace a "
                    "project-wide one: rename or remove one of them", file=where,
                    field=f"patchDirs[{i}]")
    for (component, _), (patch, _) in sorted(chosen.items(), key=lambda item: item[0]):
        catalog.patches.setdefault(component, []).append(patch)
    return catalog


def _string_list(config: dict, key: str, where: str) -> list[str]:
    value = config.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError("must be a list of non-empty strings", file=where, field=key)
    return value


def _read_dir(overlay_dir: OverlayDir, directory: Path) -> list[PatchFile]:
    """Every `<component>/*.patch` of one patch dir; other entries at the top are ignored."""
    patches = []
    for component_dir in sorted(directory.iterdir()):
        if not component_dir.is_dir():
            continue  # a README beside the component dirs
        component = component_dir.name
        shown = overlay_dir.display(component_dir)
        if not COMPONENT.match(component):
            raise ConfigError(f"component dir name {component!r} must be a lowercase DNS "
                              "label of at most 42 characters (it names the ConfigMap "
                              f"'{component}-patches')", file=shown)
        for entry in sorted(component_dir.iterdir()):
            shown = overlay_dir.display(entry)
            if entry.is_dir():
                raise ConfigError("a component dir holds *.patch files only, not dirs",
                                  file=shown)
            if not entry.name.endswith(".patch"):
                raise ConfigError("only *.patch files belong in a component dir (the "
                                  "init container applies <ConfigMap>/*.patch)", file=shown)
            text = overlay_dir.read_text(entry)
            patches.append(patchfile.parse(component, entry.name, text, shown))
    return patches
