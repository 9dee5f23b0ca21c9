"""A rendered pod's containers, started on this machine as the kubelet and runc lay them out.

Volumes get the kubelet's layout: a ConfigMap volume is a dir holding a
timestamped dir with the keys, a `..data` symlink to it and one symlink per
key; an emptyDir is a 0777 dir; a subPath that is missing is created as a
dir. Each container process gets a private mount namespace (`unshare
--mount`) and a root of its own: the image (this machine's /usr and /etc,
Kolla's users in /etc/passwd and /etc/group, the cached Kolla venv at
/var/lib/kolla/venv under an overlay so that the cache stays pristine), then
its volumeMounts in order, each destination resolved inside that root as
runc resolves it (symlinks followed, an absolute one from the root), created
when missing (a file for a file, a dir for a dir) and remounted read-only
where the spec says so; under readOnlyRootFilesystem the root and the venv
become read-only too. The process runs chrooted, as the container's user
with its groups, with the image's env and the container's. Needs root.

Run as a script, this file is the part inside the namespace.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

RUNTIME_TIMEOUT = 600
ATOMIC_DIR = "..2026_01_01_00_00_00.000000001"  # the kubelet's AtomicWriter names it by time


def can_run() -> str | None:
    """Why containers cannot be emulated here, or None."""
    if os.geteuid() != 0:
        return "emulating a container needs root (mount namespaces, bind mounts, chroot, setuid)"
    for tool in ("unshare", "mount"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            return f"{tool} is not installed"
    return None


def config_map_volume(directory: Path, data: dict, mode: int = 0o644) -> Path:
    directory.mkdir(parents=True)
    os.chmod(directory, 0o777)
    payload = directory / ATOMIC_DIR
    payload.mkdir()
    os.chmod(payload, 0o755)
    for key, value in data.items():
        (payload / key).write_text(value)
        os.chmod(payload / key, mode)
        (directory / key).symlink_to(f"..data/{key}")
    (directory / "..data").symlink_to(ATOMIC_DIR)
    return directory


class Pod:
    """One pod of a rendered workload: its volumes on disk, its containers runnable."""

    def __init__(self, workdir: Path, spec: dict, config_maps: dict[str, dict], image):
        self.workdir, self.spec, self.image = workdir, spec, image
        self.volumes: dict[str, Path] = {}
        for volume in spec.get("volumes") or []:
            path = workdir / "volumes" / volume["name"]
            if "configMap" in volume:
                source = volume["configMap"]
                if source["name"] not in config_maps:
                    if source.get("optional"):
                        path.mkdir(parents=True)
                        self.volumes[volume["name"]] = path
                        continue
                    raise AssertionError(f"ConfigMap {source['name']} was not rendered")
                assert "items" not in source, "items are not emulated"
                self.volumes[volume["name"]] = config_map_volume(
                    path, config_maps[source["name"]], source.get("defaultMode", 0o644))
            elif "emptyDir" in volume:
                path.mkdir(parents=True)
                os.chmod(path, 0o777)  # as the kubelet leaves an emptyDir
                self.volumes[volume["name"]] = path
            else:  # Secrets and the like: the tests never read them
                self.volumes[volume["name"]] = config_map_volume(path, {})
        self.runs = 0

    def container(self, name: str) -> dict:
        for list_name in ("initContainers", "containers"):
            for container in self.spec.get(list_name) or []:
                if container["name"] == name:
                    return container
        raise KeyError(name)

    def identity(self, container: dict) -> tuple[int, int, list[int]]:
        """uid, gid and groups: runAsUser/runAsGroup, else the image's USER; the user's
        groups from the image's /etc/group, fsGroup and supplementalGroups."""
        from tests.hotfix import kolla_image

        pod = self.spec.get("securityContext") or {}
        own = container.get("securityContext") or {}
        uid, gid, groups = kolla_image.identity(self.image.user)
        uid = own.get("runAsUser", pod.get("runAsUser", uid))
        gid = own.get("runAsGroup", pod.get("runAsGroup", gid))
        if uid != kolla_image.USERS[self.image.user][0]:
            name = next((n for n, (u, _) in kolla_image.USERS.items() if u == uid), None)
            groups = kolla_image.identity(name)[2] if name else []
        extra = [pod["fsGroup"]] if "fsGroup" in pod else []
        return uid, gid, sorted({*groups, *extra, *(pod.get("supplementalGroups") or [])})

    def mounts(self, container: dict) -> list[dict]:
        out = []
        for mount in container.get("volumeMounts") or []:
            source = self.volumes[mount["name"]]
            if mount.get("subPath"):
                source = source / mount["subPath"]
                if not source.exists():  # the kubelet creates a missing subPath as a dir
                    source.mkdir(parents=True)
            out.append({"source": str(source), "destination": mount["mountPath"],
                        "readonly": bool(mount.get("readOnly"))})
        return out

    def run(self, name: str, argv: list[str] | None = None, *, as_root: bool = False,
            root_changes: dict | None = None) -> subprocess.CompletedProcess:
        """Start container `name` with its own command, or run `argv` in it as
        `kubectl exec` would (its mounts, env and user; root with as_root, like sudo)."""
        from tests.hotfix import kolla_image

        container = self.container(name)
        command = argv or [*container.get("command", []), *container.get("args", [])]
        assert command, f"{name}: no command: the image's entrypoint is not emulated"
        env = dict(self.image.env)
        for variable in container.get("env") or []:
            env[variable["name"]] = variable["value"]
        uid, gid, groups = (0, 0, []) if as_root else self.identity(container)
        home = next((f"/var/lib/{n}" for n, (u, _) in kolla_image.USERS.items()
                     if u == uid and n != "root"), "/root")
        env.setdefault("HOME", home)
        self.runs += 1
        run_dir = self.workdir / f"run-{self.runs}"
        (run_dir / "etc").mkdir(parents=True)
        (run_dir / "etc" / "passwd").write_text(kolla_image.passwd())
        (run_dir / "etc" / "group").write_text(kolla_image.group())
        for sub in ("root", "upper", "work"):
            (run_dir / sub).mkdir()
        plan = {
            "root": str(run_dir / "root"), "etc": str(run_dir / "etc"),
            "venv": str(self.image.venv), "upper": str(run_dir / "upper"),
            "work": str(run_dir / "work"), "remove": list((root_changes or {}).get("remove", [])),
            "mounts": self.mounts(container),
            "readonly_root": bool((container.get("securityContext") or {})
                                  .get("readOnlyRootFilesystem")),
            "uid": uid, "gid": gid, "groups": groups, "env": env, "argv": command,
        }
        (run_dir / "plan.json").write_text(json.dumps(plan))
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "--",
                               sys.executable, __file__, str(run_dir / "plan.json")],
                              capture_output=True, text=True, timeout=RUNTIME_TIMEOUT)


# --- inside the mount namespace -------------------------------------------------

def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


def resolve_in_root(root: str, path: str) -> str:
    """`path` inside `root`, symlinks followed without leaving root (runc's SecureJoin)."""
    parts = [p for p in path.split("/") if p]
    resolved: list[str] = []
    links = 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            resolved = resolved[:-1]
            continue
        candidate = os.path.join(root, *resolved, part)
        if os.path.islink(candidate):
            links += 1
            assert links < 256, f"too many symlinks in {path}"
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p] + parts
            continue
        resolved.append(part)
    return os.path.join(root, *resolved)


def _bind(source: str, destination: str, readonly: bool) -> None:
    if not os.path.lexists(destination):
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        if os.path.isdir(source):
            os.mkdir(destination)
        else:
            open(destination, "x").close()
    _mount("--bind", source, destination)
    if readonly:
        _mount("-o", "remount,bind,ro", destination)


def _enter(plan: dict) -> None:
    root = plan["root"]
    _mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", root)
    for link in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
        if os.path.islink("/" + link):
            os.symlink(os.readlink("/" + link), os.path.join(root, link))
    for directory in ("usr", "etc", "dev", "proc", "tmp", "var/lib/kolla/venv"):
        os.makedirs(os.path.join(root, directory))
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    _bind("/usr", os.path.join(root, "usr"), readonly=True)
    _bind("/etc", os.path.join(root, "etc"), readonly=True)
    for name in ("passwd", "group"):
        _bind(os.path.join(plan["etc"], name), os.path.join(root, "etc", name), readonly=True)
    _mount("--rbind", "/dev", os.path.join(root, "dev"))
    _mount("--rbind", "/proc", os.path.join(root, "proc"))
    venv = os.path.join(root, "var/lib/kolla/venv")
    _mount("-t", "overlay", "overlay", "-o",
           f"lowerdir={plan['venv']},upperdir={plan['upper']},workdir={plan['work']}", venv)
    for relative in plan["remove"]:  # an image that differs from the cached venv
        os.unlink(os.path.join(venv, relative))
    for mount in plan["mounts"]:
        _bind(mount["source"], resolve_in_root(root, mount["destination"]), mount["readonly"])
    if plan["readonly_root"]:
        _mount("-o", "remount,ro", root)
        _mount("-o", "remount,ro", venv)
    os.chroot(root)
    os.chdir("/")
    os.setgroups(plan["groups"])
    os.setgid(plan["gid"])
    os.setuid(plan["uid"])
    argv = plan["argv"]
    os.execvpe(argv[0], argv, plan["env"])


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        _enter(json.load(handle))
