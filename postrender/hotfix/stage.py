"""The hot-fix stage: patch ConfigMaps per component, applied by an init container.

Switched on by the overlay's hotfix.yaml, which names the patch dirs. Every
patch is validated when the stage loads, before any document is emitted. The
stage adds ConfigMaps (the patches and the init container's program), an init
container per image, volumes, read-only mounts and a checksum annotation; it
never changes a container's command, image or anything else in the pod.
"""
from __future__ import annotations

import re

from postrender import podtemplate
from postrender.diagnostics import Diagnostics
from postrender.document import Document
from postrender.hotfix import catalog as catalog_module
from postrender.errors import ConfigError
from postrender.hotfix import configmap, initcontainer, mount, patchfile
from postrender.hotfix.catalog import Catalog
from postrender.overlaydir import OverlayDir

COMPONENT_LABEL = "hotfix-patches"
# Labels the stage sets itself on a component's patch ConfigMaps.
OWN_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/component")
# Hooks that Helm runs once the release's objects, the patch ConfigMaps among
# them, are in place. Any other hook (pre-install, pre-upgrade, ...) may run
# before they exist, and its pod would wait for them forever.
AFTER_RELEASE_HOOKS = frozenset({"post-install", "post-upgrade", "post-rollback",
                                 "test", "test-success"})


class HotfixStage:
    name = "hotfix"

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def kolla_containers(self, spec: dict, component: str) -> list[list[tuple[str, int]]]:
        """(list name, index) of the init and regular containers running the
        component's venv, grouped by image in pod order: one init container each."""
        groups: dict[str, list[tuple[str, int]]] = {}
        for list_name, i, container in podtemplate.containers(spec):
            image = container.get("image")
            if list_name == "ephemeralContainers" or not isinstance(image, str) \
                    or initcontainer.is_own(container):
                continue
            if mount.runs_component_venv(image, component) \
                    or self.catalog.is_extra_kolla_image(image):
                groups.setdefault(image, []).append((list_name, i))
        return list(groups.values())

    def apply(self, documents: list[Document], diagnostics: Diagnostics) -> list[Document]:
        for old, new in self.catalog.replaced:
            diagnostics.note(f"hotfix: region patch {new.path} replaces {old.path}")
        # (component, namespace) -> [(workload, containers)], in stream order
        targets: dict[tuple[str, str | None], list[tuple[Document, list]]] = {}
        labelled: set[str] = set()
        for doc, spec in podtemplate.workloads(documents):
            component = mount.component_of(doc)
            if component not in self.catalog.patches:
                continue
            labelled.add(component)
            containers = self.kolla_containers(spec, component)
            if containers and self._runs_after_release(doc, diagnostics):
                targets.setdefault((component, doc.namespace), []).append((doc, containers))
        for component in sorted(self.catalog.patches):
            if any(key[0] == component for key in targets):
                continue
            patches = self.catalog.patches[component]
            why = (f"its workloads run no Kolla {component} image" if component in labelled else
                   f"no workload has the pod label {mount.NAME_LABEL}={component}")
            diagnostics.warn(f"{self.catalog.file}: component {component!r} has "
                             f"{len(patches)} patch(es) but {why}: they are not mounted "
                             f"anywhere ({', '.join(p.path for p in patches)})", strict=True)
        added: list[Document] = []
        for (component, namespace), workloads in sorted(
                targets.items(), key=lambda item: (item[0][0], item[0][1] or "")):
            added += self._component(component, namespace, workloads, documents + added,
                                     diagnostics)
        return documents + added

    def _component(self, component: str, namespace: str | None,
                   workloads: list[tuple[Document, list]], documents: list[Document],
                   diagnostics: Diagnostics):
        patches = self.catalog.patches[component]
        by_name = {p.name: p for p in patches}
        rendered = {doc.name: doc for doc in documents
                    if doc.kind == "ConfigMap" and doc.api_version == "v1"
                    and doc.namespace == namespace
                    and doc.name.startswith(f"{component}-") and doc.name.endswith("-patches")}
        # Keys the stage itself put there on an earlier run are not the chart's data.
        existing = {name: {k: v for k, v in (doc.obj.get("data") or {}).items()
                           if not (k in by_name and by_name[k].text == v)
                           and not (k == initcontainer.SCRIPT_KEY and v == initcontainer.SCRIPT)}
                    for name, doc in rendered.items() if isinstance(doc.obj.get("data"), dict)}
        chart_patches = [patch for name in sorted(existing)
                         for patch in self._check_chart_patches(rendered[name], existing[name],
                                                                 diagnostics)]
        parts = configmap.pack(component, patches, existing,
                               program={initcontainer.SCRIPT_KEY: initcontainer.SCRIPT})
        added = []
        for config_name, data in parts:
            if config_name in rendered:
                configmap.merge(rendered[config_name], data, by_name)
            else:
                doc = configmap.new(config_name, namespace, data,
                                    self._labels(component, [doc for doc, _ in workloads]))
                added.append(doc)
                rendered[config_name] = doc
        first = configmap.name(component, 1)
        names = sorted({name for name, _ in parts} | ({first} if first in rendered else set()),
                       key=lambda n: (len(n), n))
        digest = mount.checksum([(n, rendered[n].obj.get("data") or {}) for n in names])
        site_entries = initcontainer.entries([*patches, *chart_patches])
        for doc, groups in workloads:
            mount.mount(doc, groups, names, site_entries, digest)
            if doc.kind == "Job" and mount.HELM_HOOK not in doc.annotations:
                _rename_job(doc, digest)
        return added

    @staticmethod
    def _check_chart_patches(doc: Document, data: dict,
                             diagnostics: Diagnostics) -> list[patchfile.PatchFile]:
        """The chart's own patches go through the same validation: the init container
        would choke on them too. The valid ones also name entries to copy."""
        valid = []
        for key, value in sorted(data.items()):
            if not str(key).endswith(".patch"):
                continue
            where = f"{doc.file or '<stdin>'}: {doc.address()}: data.{key}"
            try:
                valid.append(patchfile.parse("chart", str(key), str(value), where))
            except ConfigError as err:
                diagnostics.warn(f"{err}", strict=True)
        return valid

    @staticmethod
    def _runs_after_release(doc: Document, diagnostics: Diagnostics) -> bool:
        """A Helm hook is hot-fixed only when it runs after the release's objects exist."""
        hook = doc.annotations.get(mount.HELM_HOOK)
        if hook is None:
            return True
        events = {event.strip() for event in str(hook).split(",") if event.strip()}
        if events <= AFTER_RELEASE_HOOKS:
            return True
        diagnostics.note(f"hotfix: {doc.file or '<stdin>'}: {doc.address()}: a Helm hook "
                         f"({hook}) that may run before the patch ConfigMaps exist runs "
                         "unpatched")
        return False

    @staticmethod
    def _labels(component: str, workloads: list[Document]) -> dict:
        """The component's own labels, plus every label its labelled workloads
        all carry: the release's (instance, part-of, managed-by) and the
        region's, which the overlay put on every object before this stage ran."""
        labelled = [doc.labels for doc in workloads if doc.labels]
        shared = dict(labelled[0]) if labelled else {}
        for labels in labelled[1:]:
            shared = {k: v for k, v in shared.items() if labels.get(k) == v}
        labels = {"app.kubernetes.io/name": component,
                  "app.kubernetes.io/component": COMPONENT_LABEL}
        labels.update((k, v) for k, v in shared.items()
                      if k not in OWN_LABELS and isinstance(v, str))
        return labels


# A Job's pod template is immutable: `helm upgrade` cannot change the patch
# checksum of an existing Job. A Job whose patches change gets a new name
# instead (Helm deletes the old one), as the charts already do for image and
# config changes. Hooks are recreated by Helm and keep their names.
_JOB_SUFFIX = re.compile(r"-hf[0-9a-f]{8}$")
JOB_NAME_MAX = 63  # the Job name becomes a pod label value


def _rename_job(doc: Document, digest: str) -> None:
    suffix = f"-hf{digest[:8]}"
    base = _JOB_SUFFIX.sub("", doc.name)
    name = base[:JOB_NAME_MAX - len(suffix)].rstrip("-.") + suffix
    if name != doc.name:
        doc.touch()["metadata"]["name"] = name


def load(overlay_dir: OverlayDir) -> HotfixStage | None:
    """The stage, with every patch validated; None when the overlay has no hotfix.yaml."""
    catalog = catalog_module.load(overlay_dir)
    return None if catalog is None else HotfixStage(catalog)
