"""The Kolla containers of a rendered manifest stream, as the kubelet and
Kolla's start path will see them: the image, the command that runs, the
files kolla_set_configs finds in /var/lib/kolla/config_files, the mounts,
the environment and the user. Reads documents; never renders."""
from __future__ import annotations

import base64
import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field

KOLLA_NAMESPACE = "/openstack.kolla/"
CONFIG_DIR = "/var/lib/kolla/config_files"
WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob")
# Volumes the kubelet fills itself (atomic writer): nothing can make a mount
# point inside them.
PROJECTED = ("secret", "configMap", "projected", "downwardAPI")


def pod_spec(obj: dict) -> dict:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def case_id(obj: dict, container: str) -> str:
    """The workload's name without what varies by input or hardware group (a
    Job's input hash, the hot-fix stage's suffix, a DaemonSet's node group),
    and the container: one id for every copy of the same container."""
    name = obj["metadata"]["name"]
    name = re.sub(r"-hf[0-9a-f]{8,}$", "", name)
    if obj["kind"] == "Job":
        name = re.sub(r"-[0-9a-f]{8}$", "", name)
    name = re.sub(r"-group-\d+$", "", name)
    return f"{name}/{container}"


@dataclass
class Container:
    """One container of one workload, with what it gets from its pod."""

    obj: dict
    spec: dict                  # the container
    pod: dict                   # the pod spec
    files: dict[str, str | None] = field(default_factory=dict)  # CONFIG_DIR files

    @property
    def where(self) -> str:
        return f"{self.obj['kind']}/{self.obj['metadata']['name']} container {self.spec['name']}"

    @property
    def id(self) -> str:
        return case_id(self.obj, self.spec["name"])

    @property
    def image(self) -> str:
        """The Kolla image name: <registry>/openstack.kolla/<name>:<tag>."""
        return self.spec["image"].split(KOLLA_NAMESPACE, 1)[1].split(":")[0].split("@")[0]

    @property
    def runs_to_completion(self) -> bool:
        """A Job's container, or an init container: a one-shot command, not a service."""
        init = any(spec is self.spec for spec in self.pod.get("initContainers") or [])
        return init or self.obj["kind"] in ("Job", "CronJob")

    @property
    def env(self) -> dict[str, dict]:
        return {e["name"]: e for e in self.spec.get("env") or []}

    @property
    def volumes(self) -> dict[str, dict]:
        return {v["name"]: v for v in self.pod.get("volumes") or []}

    @property
    def mounts(self) -> list[dict]:
        return list(self.spec.get("volumeMounts") or [])

    def run_as(self) -> int | None:
        """runAsUser from the container or the pod, if either sets one."""
        for context in (self.spec.get("securityContext"), self.pod.get("securityContext")):
            if context and "runAsUser" in context:
                return context["runAsUser"]
        return None

    def pod_groups(self) -> list[int]:
        """The gids Kubernetes adds to the process: fsGroup, supplementalGroups."""
        context = self.pod.get("securityContext") or {}
        return ([context["fsGroup"]] if "fsGroup" in context else []) + \
            list(context.get("supplementalGroups") or [])

    @property
    def config(self) -> dict | None:
        """config.json, parsed, or None when none is mounted."""
        text = self.files.get("config.json")
        return json.loads(text) if text else None

    def argv(self) -> tuple[list[str], str]:
        """The command that runs, and who chose it: the container's command,
        its args after Kolla's ENTRYPOINT, or config.json's command (CMD kolla_start)."""
        if self.spec.get("command"):
            return list(self.spec["command"]) + list(self.spec.get("args") or []), "command:"
        if self.spec.get("args"):
            return list(self.spec["args"]), "args:"
        config = self.config
        if config is None or not config.get("command"):
            return [], "config.json"
        return shlex.split(config["command"]), "config.json command"

    def mount_at(self, path: str) -> dict | None:
        """The innermost mount that holds `path`."""
        best = None
        for mount in self.mounts:
            root = mount["mountPath"].rstrip("/")
            if path == root or path.startswith(root + "/"):
                if best is None or len(root) > len(best["mountPath"].rstrip("/")):
                    best = mount
        return best

    def copied_files(self) -> dict[str, str]:
        """{dest: content} of the config files config.json copies from the config dir:
        none when the container has a command of its own, since kolla_start,
        which copies them, does not run."""
        if self.spec.get("command"):
            return {}
        out = {}
        for item in (self.config or {}).get("config_files") or []:
            source = item.get("source", "")
            if source.startswith(CONFIG_DIR + "/"):
                text = self.files.get(source[len(CONFIG_DIR) + 1:])
                if text is not None:
                    out[item["dest"]] = text
        return out


def _volume_data(objects: dict, volume: dict) -> dict[str, str] | None:
    """{key: text} a Secret or ConfigMap volume shows (after items), or None."""
    for kind, key in (("Secret", "secret"), ("ConfigMap", "configMap")):
        if key in volume:
            source = volume[key]
            obj = objects.get((kind, source.get("secretName") or source.get("name")))
            if obj is None:
                return {}
            data = dict(obj.get("stringData") or {})
            for name, value in (obj.get("data") or {}).items():
                data.setdefault(name, base64.b64decode(value).decode() if kind == "Secret" else value)
            if obj.get("binaryData"):
                data.update({k: "" for k in obj["binaryData"]})
            if source.get("items"):
                data = {i["path"]: data[i["key"]] for i in source["items"] if i["key"] in data}
            return data
    return None


def _config_dir(objects: dict, spec: dict, pod: dict) -> dict[str, str | None]:
    """{name: text} of the files in the config dir, from the mounts that put
    them there (a subPathExpr's file, which differs by node, is None)."""
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    out: dict[str, str | None] = {}
    for mount in spec.get("volumeMounts") or []:
        path = mount["mountPath"].rstrip("/")
        if path != CONFIG_DIR and not path.startswith(CONFIG_DIR + "/"):
            continue
        data = _volume_data(objects, volumes.get(mount["name"], {}))
        if data is None:
            continue
        if path == CONFIG_DIR:
            prefix = mount.get("subPath", "")
            out.update({k[len(prefix):].lstrip("/"): v for k, v in data.items()
                        if not prefix or k.startswith(prefix + "/")})
        elif "subPathExpr" in mount:
            out[path[len(CONFIG_DIR) + 1:]] = None
        elif "subPath" in mount:
            out[path[len(CONFIG_DIR) + 1:]] = data.get(mount["subPath"])
        else:
            out.update({f"{path[len(CONFIG_DIR) + 1:]}/{k}": v for k, v in data.items()})
    return out


def kolla_containers(documents: list[dict]) -> list[Container]:
    """Every container and init container whose image is a Kolla image."""
    objects = {(o["kind"], o["metadata"]["name"]): o for o in documents}
    out = []
    for obj in documents:
        if obj.get("kind") not in WORKLOAD_KINDS:
            continue
        pod = pod_spec(obj)
        for spec in list(pod.get("initContainers") or []) + list(pod.get("containers") or []):
            if KOLLA_NAMESPACE in spec.get("image", ""):
                out.append(Container(obj, spec, pod, _config_dir(objects, spec, pod)))
    return out


def mounted_file(container: Container, objects: dict, path: str) -> str | None:
    """The text of a file a Secret or ConfigMap mount puts at `path`, if any."""
    mount = container.mount_at(path)
    if mount is None:
        return None
    data = _volume_data(objects, container.volumes.get(mount["name"], {}))
    if not data:
        return None
    if "subPath" in mount:
        return data.get(mount["subPath"]) if path == mount["mountPath"] else None
    return data.get(posixpath.relpath(path, mount["mountPath"]))


class Region:
    """A rendered stream: its objects by kind and name, and its Kolla containers."""

    def __init__(self, documents: list[dict]):
        self.documents = [d for d in documents if d]
        self.objects = {(o["kind"], o["metadata"]["name"]): o for o in self.documents}
        self.containers = kolla_containers(self.documents)

    def mounted_file(self, container: Container, path: str) -> str | None:
        return mounted_file(container, self.objects, path)
