"""ConfigMaps and Secrets from configMapGenerator and secretGenerator.

Builds the objects kustomize builds (data or binaryData, base64 for Secrets
and binary data, labels, annotations, immutable) and computes kustomize's
name hash suffix from the final object. It reads no files itself: the
kustomization reader has already loaded every source through the overlay
directory.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re

from postrender.errors import ConfigError
from postrender.overlay.kustomization import Generator

# What Kubernetes accepts as a ConfigMap or Secret key.
KEY = re.compile(r"[-._a-zA-Z0-9]+\Z")


def build(generator: Generator, file: str) -> dict:
    data: dict[str, str] = {}
    binary: dict[str, str] = {}
    for key, value in generator.data:
        if key in data or key in binary:
            raise ConfigError(f"key {key!r} is given twice", file=file, field=generator.where)
        if not KEY.match(key):
            raise ConfigError(f"{key!r} is not a valid {generator.kind} key (letters, digits, "
                              "'-', '_' and '.')", file=file, field=generator.where)
        if generator.kind == "Secret":
            data[key] = _base64(value)
            continue
        try:
            data[key] = value.decode("utf-8")
        except UnicodeDecodeError:
            binary[key] = _base64(value)
    metadata: dict = {"name": generator.name}
    if generator.namespace:
        metadata["namespace"] = generator.namespace
    if generator.options.labels:
        metadata["labels"] = dict(generator.options.labels)
    if generator.options.annotations:
        metadata["annotations"] = dict(generator.options.annotations)
    obj: dict = {"apiVersion": "v1", "kind": generator.kind, "metadata": metadata}
    if generator.kind == "Secret":
        obj["type"] = generator.secret_type
    if data or generator.kind == "Secret":
        obj["data"] = data  # kustomize writes "data: {}" for an empty Secret, not a ConfigMap
    if binary:
        obj["binaryData"] = binary
    if generator.options.immutable:
        obj["immutable"] = True
    return obj


LINE = 70


def _base64(value: bytes) -> str:
    """Base64 as kustomize writes it: past one line, 70 characters and a line break
    per line, the last one included. The breaks enter the name hash, so a PEM
    certificate gets kustomize's suffix only when they are there."""
    text = base64.b64encode(value).decode()
    if len(text) < LINE:
        return text
    return "".join(text[i:i + LINE] + "\n" for i in range(0, len(text), LINE))


def _go_json(value) -> str:
    # Go's encoding/json: sorted keys, no spaces, and <, >, & escaped for HTML.
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _value(obj: dict, key: str):
    value = obj.get(key)
    return "" if value is None else value


def name_hash(obj: dict) -> str:
    """The ten-character suffix kustomize appends to a generated name."""
    # kustomize looks the name up under a key literally named "metadata/name",
    # which no object has: the name always enters its hash as "".
    name = ""
    if obj.get("kind") == "ConfigMap":
        encoded = {"kind": "ConfigMap", "name": name, "data": _value(obj, "data")}
        if isinstance(obj.get("binaryData"), dict):
            encoded["binaryData"] = obj["binaryData"]
    elif obj.get("kind") == "Secret":
        encoded = {"kind": "Secret", "type": _value(obj, "type"), "name": name,
                   "data": _value(obj, "data")}
        if isinstance(obj.get("stringData"), dict):
            encoded["stringData"] = obj["stringData"]
    else:
        encoded = obj
    digest = hashlib.sha256(_go_json(encoded).encode("utf-8")).hexdigest()
    return digest[:10].translate(str.maketrans("013ae", "ghkmt"))
