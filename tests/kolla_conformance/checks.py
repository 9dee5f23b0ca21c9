"""The conformance checks of one Kolla container against Kolla's own image
definitions. Each returns a list of problems, each naming the container and
the reason; an empty list is a pass. They read; they never fix."""
from __future__ import annotations

import posixpath
import re

from tests.kolla_conformance import dockerfile, startup
from tests.kolla_conformance.image import kolla_image
from tests.kolla_conformance.pods import CONFIG_DIR, PROJECTED, Container, Region

INTERPRETERS = ("sh", "bash", "dash", "python", "python3")
# The programs that create a unix socket others open, and how its owner and
# mode are set. ovsdb-server: its own uid and gid, mode 0770 (Open vSwitch's
# make_unix_socket). libvirtd: root, with unix_sock_group and
# unix_sock_rw_perms from libvirtd.conf (libvirt's defaults: root, 0770).
SOCKET_SERVERS = {"ovsdb-server": "process", "start-ovsdb-server": "process",
                  "libvirtd": "libvirtd.conf"}
# qemu:///system is libvirtd's socket in its unix_sock_dir (default /run/libvirt).
LIBVIRT_SYSTEM_SOCKET = "/run/libvirt/libvirt-sock"
_UNIX = re.compile(r"unix:(/[^\s\"',;]+)")
_STATE = re.compile(r"^\s*(state_path|lock_path)\s*=\s*(\S+)", re.M)


def _within(path: str, root: str) -> bool:
    root = root.rstrip("/") or "/"
    return path == root or path.startswith(root.rstrip("/") + "/")


# --- 1. the image is one of Kolla's ---------------------------------------------

def image_exists(c: Container, region: Region) -> list[str]:
    if c.image in dockerfile.image_dirs():
        return []
    return [f"{c.where}: image openstack.kolla/{c.image} is not a Kolla "
            f"{dockerfile.KOLLA_VERSION} image (no {c.image}/Dockerfile.j2 in its docker/ tree)"]


# --- 2. the command exists in the image -----------------------------------------

def _script(argv: list[str]) -> str | None:
    """The script an interpreter is given, if it is given one."""
    if posixpath.basename(argv[0]) not in INTERPRETERS:
        return None
    for arg in argv[1:]:
        if arg == "-c":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def _exec_lines(text: str) -> list[str]:
    """The programs a shell script ends in with `exec`."""
    out = []
    for line in text.splitlines():
        words = line.strip().split()
        if len(words) > 1 and words[0] == "exec" and not words[1].startswith(("$", "-", '"')):
            out.append(words[1])
    return out


def _programs(c: Container, region: Region) -> list[str]:
    """What the container runs: its command's program and, when that is a
    shell running a mounted script, the programs the script execs."""
    argv = c.argv()[0]
    if not argv:
        return []
    script = _script(argv)
    text = region.mounted_file(c, script) if script else None
    return [posixpath.basename(argv[0])] + [posixpath.basename(p) for p in _exec_lines(text or "")]


def command_exists(c: Container, region: Region) -> list[str]:
    if c.image not in dockerfile.image_dirs():
        return []
    image = kolla_image(c.image)
    argv, chooser = c.argv()
    if not argv:
        return [f"{c.where}: nothing to run: no config.json with a command in {CONFIG_DIR} "
                "(kolla_set_configs needs one)"]
    problems = []

    def need(program: str, why: str) -> None:
        if image.find(program) is None:
            problems.append(f"{c.where}: {why} runs {program!r}, which image {c.image} does not "
                            f"have (searched {image.searched()})")

    need(argv[0], chooser)
    script = _script(argv)
    if script:
        text = region.mounted_file(c, script)
        if text is None and script not in image.files:
            problems.append(f"{c.where}: {chooser} runs the script {script}, which neither a "
                            f"mount nor image {c.image} provides")
        for program in _exec_lines(text or ""):
            need(program, f"the script {script}")
    return problems


# --- 3. extend_start semantics ---------------------------------------------------

def extend_start(c: Container, region: Region) -> list[str]:
    if c.image not in dockerfile.image_dirs() or c.spec.get("command") or c.spec.get("args"):
        return []   # kolla_start does not run
    image = kolla_image(c.image)
    env = set(c.env)
    outcome = startup.outcome(image, env)
    if c.runs_to_completion:
        if outcome.ends:
            return []   # the image's own bootstrap branch is the Job's work
        args = outcome.args + outcome.maybe_args
        return [f"{c.where}: a one-shot command runs through kolla_start, and {c.image}'s "
                f"extend_start ({a.script}) sets ARGS={a.text!r}"
                + (f" when {' and '.join(a.guards)}" if a.guards else "")
                + ", which start.sh appends to the command: set KOLLA_SKIP_EXTEND_START"
                for a in args]
    problems = []
    if "KOLLA_SKIP_EXTEND_START" in env:
        problems.append(f"{c.where}: a long-running service sets KOLLA_SKIP_EXTEND_START, so "
                        f"{c.image}'s own start-up (extend_start) never runs (start.sh skips it "
                        "when the variable is set at all, whatever its value)")
    for end in outcome.ends:
        problems.append(f"{c.where}: a long-running service, but {c.image}'s extend_start "
                        f"({end.script}) runs {end.text!r} before the command, as "
                        f"{' and '.join(end.guards)} holds in its env")
    return problems


# --- 4. the image's USER reaches what it needs ----------------------------------

def _uid(user: str) -> int | None:
    if user == "root":
        return 0
    entry = dockerfile.kolla_users().get(user)
    return entry["uid"] if entry else None


def _gid(group: str) -> int | None:
    if group == "root":
        return 0
    entry = next((u for u in dockerfile.kolla_users().values() if u["group"] == group), None)
    return entry["gid"] if entry else None


def _identity(c: Container) -> tuple[str, int | None, set[int]]:
    """(user name, uid, gids) the container's process runs with."""
    image = kolla_image(c.image)
    run_as = c.run_as()
    if run_as is not None:
        name = next((n for n, u in dockerfile.kolla_users().items() if u["uid"] == run_as),
                    str(run_as))
        user = name if name in dockerfile.kolla_users() or run_as == 0 else str(run_as)
        uid = run_as
    else:
        user, uid = image.user, _uid(image.user)
    gids = {g for g in (_gid(name) for name in image.groups(user)) if g is not None}
    return user, uid, gids | set(c.pod_groups())


def _nested_subpaths(c: Container) -> list[str]:
    problems = []
    for mount in c.mounts:
        if "subPath" not in mount and "subPathExpr" not in mount:
            continue
        for outer in c.mounts:
            volume = c.volumes.get(outer["name"], {})
            kind = next((k for k in PROJECTED if k in volume), None)
            if outer is mount or kind is None or "subPath" in outer or "subPathExpr" in outer:
                continue
            if mount["mountPath"] != outer["mountPath"] and _within(mount["mountPath"], outer["mountPath"]):
                problems.append(f"{c.where}: the single-file mount {mount['mountPath']} (subPath) "
                                f"sits inside the {kind} mount at {outer['mountPath']}: the kubelet "
                                f"cannot make its mount point in a {kind} volume")
    return problems


def _state_paths(c: Container) -> list[tuple[str, str, str]]:
    """(option, path, file) of state_path and lock_path in the copied config files."""
    out = []
    for dest, text in c.copied_files().items():
        found = dict((k, v) for k, v in _STATE.findall(text))
        for option, value in _STATE.findall(text):
            value = value.replace("$state_path", found.get("state_path", "$state_path"))
            if value.startswith("/"):
                out.append((option, value, dest))
    return out


def _owned_by(c: Container, path: str, root: str, uid: int) -> bool:
    """A config.json permissions entry on `path` or a dir above it, below
    `root`, gives it to `uid` (kolla_set_configs chowns as root)."""
    for entry in (c.config or {}).get("permissions") or []:
        user = entry.get("owner", "").split(":")[0]
        if _within(path, entry.get("path", "")) and _within(entry.get("path", ""), root) \
                and _uid(user) == uid:
            return True
    return False


def _unwritable_state(c: Container, user: str, uid: int) -> list[str]:
    problems = []
    image = kolla_image(c.image)
    for option, path, dest in _state_paths(c):
        mount = c.mount_at(path)
        if mount is None:
            chowned = any(_within(path, d) and ids[0] == uid for d, ids in image.chowned().items())
            if not chowned and not _owned_by(c, path, "/", uid):
                problems.append(f"{c.where}: {option} {path} ({dest}) is in image {c.image}, where "
                                f"nothing gives it to {user}, the user it runs as")
            continue
        volume = c.volumes.get(mount["name"], {})
        if mount.get("readOnly"):
            problems.append(f"{c.where}: {option} {path} ({dest}) is on the read-only mount "
                            f"{mount['mountPath']}")
        elif "hostPath" in volume and not _owned_by(c, path, mount["mountPath"], uid):
            problems.append(f"{c.where}: {option} {path} ({dest}) is on the hostPath "
                            f"{volume['hostPath']['path']} (mounted at {mount['mountPath']}), "
                            f"owned by root on the node (fsGroup does not apply to hostPath), and "
                            f"the container runs as {user}: config.json has no permissions "
                            f"entry giving {path} or a dir above it to {user} "
                            "(kolla_set_configs chowns those)")
    return problems


# nova opens these only through its libvirt driver (the libvirt connection,
# and os-vif's OVS plugin, which plugs the libvirt guests' ports).
LIBVIRT_DRIVER_SECTIONS = ("libvirt", "os_vif_ovs")
_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")


def _sections(text: str) -> list[tuple[str, str]]:
    """(section, line) of an ini file's lines ("" before the first section)."""
    out, section = [], ""
    for line in text.splitlines():
        match = _SECTION.match(line)
        section = match[1] if match else section
        out.append((section, line))
    return out


def _sockets(c: Container, region: Region) -> list[tuple[str, str]]:
    """(socket path, where it is named) the process opens: unix: addresses in
    its config files and in the script it runs, and libvirt's system socket
    for qemu:///system."""
    texts = dict(c.copied_files())
    drivers = {m for t in texts.values()
               for m in re.findall(r"^\s*compute_driver\s*=\s*(\S+)", t, re.M)}
    libvirt = not drivers or any(d.startswith("libvirt.") for d in drivers)
    argv = c.argv()[0]
    script = _script(argv) if argv else None
    if script and region.mounted_file(c, script):
        texts[script] = region.mounted_file(c, script)
    out = {}
    for name, text in texts.items():
        for section, line in _sections(text):
            if section in LIBVIRT_DRIVER_SECTIONS and not libvirt:
                continue
            for path in _UNIX.findall(line):
                out.setdefault(path, f"{name} [{section}]" if section else name)
            if re.match(r"^\s*connection_uri\s*=\s*qemu:///system\s*$", line):
                out.setdefault(LIBVIRT_SYSTEM_SOCKET, f"{name} [{section}] qemu:///system")
    return sorted(out.items())


def _host_path(c: Container, path: str) -> str | None:
    mount = c.mount_at(path)
    volume = c.volumes.get(mount["name"], {}) if mount else {}
    if "hostPath" not in volume:
        return None
    return posixpath.normpath(volume["hostPath"]["path"] + "/" + path[len(mount["mountPath"]):])


def _socket_owner(server: Container, program: str) -> tuple[str, int | None, str, int | None, int]:
    """(user, uid, group, gid, mode) of the socket `server` creates."""
    if SOCKET_SERVERS[program] == "process":
        user, uid, _gids = _identity(server)
        image = kolla_image(server.image)
        group = image.groups(user)[0]
        return user, uid, group, _gid(group), 0o770
    conf = next((t for d, t in server.copied_files().items() if d.endswith("libvirtd.conf")), "")
    group = re.search(r'^\s*unix_sock_group\s*=\s*"([^"]*)"', conf, re.M)
    perms = re.search(r'^\s*unix_sock_rw_perms\s*=\s*"([0-7]+)"', conf, re.M)
    group = group[1] if group else "root"
    return "root", 0, group, _gid(group), int(perms[1], 8) if perms else 0o770


def _unreachable_sockets(c: Container, region: Region, user: str, uid: int,
                         gids: set[int]) -> list[str]:
    problems = []
    for socket, named in _sockets(c, region):
        host = _host_path(c, socket)
        if host is None:
            problems.append(f"{c.where}: opens the socket {socket} ({named}), which is on no "
                            "hostPath mount its server could share")
            continue
        servers = []
        for other in region.containers:
            for program in _programs(other, region):
                if program in SOCKET_SERVERS and other.image in dockerfile.image_dirs() \
                        and _host_path(other, socket) == host:
                    servers.append((other, program))
        if not servers:
            problems.append(f"{c.where}: opens the socket {socket} ({named}), and no container "
                            "of the region serves it on the same host path")
        seen = set()
        for server, program in servers:
            owner = _socket_owner(server, program)
            if owner in seen:
                continue
            seen.add(owner)
            o_user, o_uid, o_group, o_gid, mode = owner
            if (uid == o_uid and mode & 0o600 == 0o600) or (o_gid in gids and mode & 0o060 == 0o060) \
                    or mode & 0o006 == 0o006:
                continue
            problems.append(f"{c.where}: runs as {user} (uid {uid}, gids {sorted(gids)}) and opens "
                            f"the socket {socket} ({named}), which {program} creates "
                            f"{o_user}:{o_group} mode {mode:04o} (as in {server.where}): "
                            f"{user} cannot open it")
    return problems


def user_reaches(c: Container, region: Region) -> list[str]:
    if c.image not in dockerfile.image_dirs():
        return []
    problems = _nested_subpaths(c)
    user, uid, gids = _identity(c)
    if uid == 0:
        return problems
    if uid is None:
        return problems + [f"{c.where}: runs as {user}, which is not in Kolla's users table"]
    return problems + _unwritable_state(c, user, uid) + \
        _unreachable_sockets(c, region, user, uid, gids)


# --- 5. exec probes run what the image has -----------------------------------------

# Kolla's health-check scripts (base/healthcheck_*) and what each one runs.
HEALTHCHECK_PROGRAMS = {"healthcheck_port": ("pgrep", "ss"), "healthcheck_listen": ("pgrep", "ss"),
                        "healthcheck_socket": ("pgrep", "ss"), "healthcheck_curl": ("curl",)}


def probes_exist(c: Container, region: Region) -> list[str]:
    if c.image not in dockerfile.image_dirs():
        return []
    image = kolla_image(c.image)
    problems = []
    for kind in ("readinessProbe", "startupProbe", "livenessProbe"):
        command = (c.spec.get(kind) or {}).get("exec", {}).get("command") or []
        programs = [command[0], *HEALTHCHECK_PROGRAMS.get(posixpath.basename(command[0]), ())] \
            if command else []
        problems += [f"{c.where}: its {kind} runs {program!r}, which image {c.image} does not "
                     f"have (searched {image.searched()})"
                     for program in programs if image.find(program) is None]
    return problems


CHECKS = {"image": image_exists, "command": command_exists,
          "extend_start": extend_start, "user": user_reaches, "probes": probes_exist}
