"""The --check policy stage: report every violation at once, change nothing.

Findings: credentials in ConfigMaps or literal env values, pod templates with
no placement decision in a region that has dedicated species, images outside
the region's registries (`check.yaml` in the overlay), `latest` or missing
tags, and containers without resource requests (a warning only). It never
touches a document.
"""
from __future__ import annotations

import re

from postrender import podtemplate, yamlio
from postrender.diagnostics import Diagnostics
from postrender.document import Document
from postrender.errors import ConfigError
from postrender.overlaydir import OverlayDir
from postrender.placement.policy import Policy

CHECK_FILE = "check.yaml"

# Names that hold a credential: a ConfigMap key, an INI option, an env var.
_SECRET_NAME = re.compile(
    r"(?i)(?:^|[_.\-])(?:password|passwd|passphrase|secret|token|secret_?key|api_?key|"
    r"auth_?key|private_?key|credentials?)$")
# user:password@ in a URL: a database connection or a transport_url.
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.\-]*://[^\s/:@]*:([^\s/@]+)@", re.I)
_INI_OPTION = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*[=:]\s*(.*?)\s*$", re.M)
# Only configuration files are read option by option; scripts assign variables.
_INI_FILE = re.compile(r"\.(?:conf|ini|cfg)$")
_INI_SECTION = re.compile(r"^\[[\w\-:. ]+\]\s*$", re.M)
# Values that only look like credentials: empty, or a reference to somewhere else.
_PLACEHOLDER = re.compile(r"^(?:|<none>|none|null|changeme-from-secret|\$\{?[A-Za-z_]\w*\}?)$",
                          re.I)


class CheckStage:
    name = "check"

    def __init__(self, registries: tuple[str, ...], dedicated: tuple[str, ...],
                 source: str | None):
        self.registries = registries
        self.dedicated = dedicated
        self.source = source

    def apply(self, documents: list[Document], diagnostics: Diagnostics) -> list[Document]:
        for doc in documents:
            where = f"{doc.file or '<stdin>'}: {doc.address()}"
            if doc.kind == "ConfigMap" and doc.api_version == "v1":
                for field, reason in configmap_credentials(doc.obj):
                    diagnostics.warn(f"{where}: {field}: {reason}", strict=True)
            spec = podtemplate.pod_spec(doc.obj)
            if spec is None:
                continue
            prefix = podtemplate.field_path(doc.kind)
            prefix = "spec" if prefix == "(pod)" else f"{prefix}.spec"
            for field, reason, strict in self._pod_findings(spec, prefix):
                diagnostics.warn(f"{where}: {field}: {reason}", strict=strict)
        return documents

    def _pod_findings(self, spec: dict, prefix: str):
        if self.dedicated and not has_placement(spec):
            yield prefix, ("no placement decision (no nodeSelector or required node "
                           f"affinity) in a region with dedicated species "
                           f"{', '.join(self.dedicated)}"), True
        for list_name, i, container in podtemplate.containers(spec):
            field = f"{prefix}.{list_name}[{i}]"
            image = container.get("image")
            if isinstance(image, str):
                reason = image_tag_problem(image)
                if reason:
                    yield f"{field}.image", reason, True
                if self.registries and not any(image.startswith(r.rstrip("/") + "/")
                                               for r in self.registries):
                    yield f"{field}.image", (f"{image!r} is not from the region's registries "
                                             f"({', '.join(self.registries)}; {self.source})"), True
            for j, env in enumerate(container.get("env") or ()):
                if isinstance(env, dict) and "value" in env and _is_credential(
                        str(env.get("name", "")), env.get("value")):
                    yield f"{field}.env[{j}]", (f"credential {env.get('name')!r} as a literal "
                                                "value; use valueFrom.secretKeyRef"), True
            if list_name == "containers" and not (container.get("resources") or {}).get("requests"):
                yield f"{field}.resources.requests", "container has no resource requests", False


def configmap_credentials(obj: dict):
    """(field, reason) for every credential found in a ConfigMap's data."""
    for key, value in (obj.get("data") or {}).items():
        if not isinstance(value, str):
            continue
        field = f"data.{key}"
        if _is_credential(str(key), value) and "\n" not in value:
            yield field, "key names a credential; keep it in a Secret"
            continue
        for match in _URL_PASSWORD.finditer(value):
            if not _PLACEHOLDER.match(match.group(1)):
                line = value.count("\n", 0, match.start()) + 1
                yield f"{field} (line {line})", "URL with a password; keep it in a Secret"
        if not (_INI_FILE.search(str(key)) or _INI_SECTION.search(value)):
            continue
        for match in _INI_OPTION.finditer(value):
            option, setting = match.group(1), match.group(2)
            if _is_credential(option, setting) and not _URL_PASSWORD.search(setting):
                line = value.count("\n", 0, match.start()) + 1
                yield f"{field} (line {line})", (f"option {option!r} holds a credential; "
                                                 "keep the file in a Secret")


# FOO_SECRET=cinder-volume-rbd-keyring names a Secret object; it is not one.
_OBJECT_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


def _is_credential(name: str, value) -> bool:
    if not (_SECRET_NAME.search(name) and isinstance(value, str)):
        return False
    value = value.strip().strip("'\"")
    if name.lower().endswith("secret") and _OBJECT_NAME.match(value):
        return False
    return not _PLACEHOLDER.match(value)


def image_tag_problem(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"{image!r} has no tag (means latest); pin a tag or digest"
    if last.rsplit(":", 1)[1] == "latest":
        return f"{image!r} uses the latest tag; pin a tag or digest"
    return None


def has_placement(spec: dict) -> bool:
    if spec.get("nodeSelector") or spec.get("nodeName"):
        return True
    affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    return bool(affinity.get("requiredDuringSchedulingIgnoredDuringExecution"))


def load(overlay_dir: OverlayDir | None, policy: Policy | None = None) -> CheckStage:
    """The check stage; `policy` is the region's placement policy, already loaded
    by the placement stage, when the region has one."""
    registries: tuple[str, ...] = ()
    source = None
    if overlay_dir is not None:
        path = overlay_dir.file(CHECK_FILE)
        if path is not None:
            source = overlay_dir.display(path)
            registries = _registries(yamlio.load_file(overlay_dir.read_text(path), file=source),
                                     source)
    dedicated = tuple(s.name for s in policy.dedicated_species()) if policy else ()
    return CheckStage(registries, dedicated, source)


def _registries(config, source: str) -> tuple[str, ...]:
    if config is None:
        return ()
    if not isinstance(config, dict):
        raise ConfigError("must be a mapping", file=source)
    unknown = sorted(set(config) - {"registries"})
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(unknown)}; known: registries", file=source)
    value = config.get("registries") or []
    if not isinstance(value, list) or not all(isinstance(r, str) and r for r in value):
        raise ConfigError("must be a list of registry prefixes", file=source, field="registries")
    return tuple(value)
