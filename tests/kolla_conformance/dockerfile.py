"""Kolla's own image definitions, read from the installed `kolla` wheel.

Finds the wheel's docker/ tree (share/kolla/docker, through the
distribution's file list), renders one image's Dockerfile.j2 as kolla-build
renders it for the published 2025.1 Ubuntu images, and reads what one
rendered Dockerfile does. It never runs kolla-build and never copies Kolla's
text into this repository.
"""
from __future__ import annotations

import functools
import os
import re
import shlex
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from tests.kolla_conformance import packages

KOLLA_VERSION = "20.6.0"   # tests/kolla_conformance/requirements.txt
NAMESPACE = "openstack.kolla"
TAG = "2025.1-ubuntu-noble"
# Docker's PATH when an image sets none (the ubuntu base image sets none).
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@functools.cache
def docker_tree() -> Path:
    """The wheel's docker/ dir: data files live outside site-packages, so ask
    the distribution's RECORD where start.sh went rather than guess a prefix."""
    try:
        dist = metadata.distribution("kolla")
    except metadata.PackageNotFoundError:
        raise AssertionError("the kolla wheel is not installed: run tools/setup "
                             "(tests/kolla_conformance/requirements.txt)") from None
    assert dist.version == KOLLA_VERSION, f"kolla {dist.version} installed, {KOLLA_VERSION} pinned"
    start = next(f for f in dist.files if str(f).endswith("share/kolla/docker/base/start.sh"))
    return Path(start.locate()).resolve().parent.parent


@functools.cache
def image_dirs() -> dict[str, Path]:
    """{image name: its dir}: an image is a dir of the tree with a Dockerfile.j2."""
    return {p.parent.name: p.parent for p in docker_tree().glob("**/Dockerfile.j2")}


def _template_values(image: str) -> dict:
    """What kolla_worker.create_dockerfiles passes for `kolla-build --base
    ubuntu` (Kolla's defaults: x86_64, 24.04, dumb-init, health checks), under
    the namespace and tag the region pulls."""
    return {
        "base_distro": "ubuntu", "base_image": "ubuntu", "base_distro_tag": "24.04",
        "base_arch": "x86_64", "debian_arch": "amd64", "base_package_type": "deb",
        "distro_package_manager": "apt", "supported_distro_name": "Ubuntu 24.04.* LTS",
        "repos_yaml": None, "use_dumb_init": True, "docker_healthchecks": True,
        "clean_package_cache": True, "rpm_setup": [], "patches_path": None,
        "image_prefix": "", "namespace": NAMESPACE, "tag": TAG,
        "openstack_release": "2025.1", "openstack_branch": "stable-2025.1",
        "openstack_branch_slashed": "stable/2025.1",
        "maintainer": "kolla", "kolla_version": KOLLA_VERSION, "build_date": "",
        "image_name": image,
        "users": {name: dict(user) for name, user in kolla_users().items()},
    }


@functools.cache
def kolla_users() -> dict[str, dict]:
    """{user: {uid, gid, group}} as kolla-build's get_users() makes it from
    kolla.common.users (group defaults to the user's name)."""
    from kolla.common import users
    return {name[:-len("-user")]: {"uid": p["uid"], "gid": p["gid"],
                                   "group": p.get("group", name[:-len("-user")])}
            for name, p in users.USERS.items()}


@functools.cache
def _environment():
    import jinja2.sandbox
    from kolla.template import filters, methods
    env = jinja2.sandbox.SandboxedEnvironment(loader=jinja2.FileSystemLoader(str(docker_tree())))
    env.filters["customizable"] = filters.customizable
    env.globals.update(debian_package_install=methods.debian_package_install,
                       handle_repos=methods.handle_repos, raise_error=methods.raise_error)
    return env


@functools.cache
def rendered(image: str) -> str:
    """The Dockerfile kolla-build writes for `image`. Cached on disk by
    Kolla's version: rendering costs some 0.3 s an image (Jinja, and
    handle_repos reading repos.yaml on each call)."""
    def render():
        path = image_dirs()[image] / "Dockerfile.j2"
        template = _environment().get_template(str(path.relative_to(docker_tree())))
        # kolla-build passes env=os.environ (for proxies): none here.
        return template.render(_template_values(image), env={})
    return packages.cached("dockerfile", f"{KOLLA_VERSION}-{image}", render)


# --- What one rendered Dockerfile does ---------------------------------------

_PIP = re.compile(r"python3? -m pip --no-cache-dir install --upgrade(?: -c \S+)? ")
_APT = re.compile(r"apt-get -y install --no-install-recommends ")
_VENV = re.compile(r"python3 -m venv (?:--\S+ )*(/\S+)")
_LINK = re.compile(r"\bln -sf? (\S+) +(/\S+)")
_GROUPS = re.compile(r"usermod --append (?:--home \S+ )?--groups (\S+) (\S+)")
_CHOWN = re.compile(r"chown -R (\d+):(\d+) (/\S+)")
_SOURCE_LINK = re.compile(r"ln -s (\S+)-source/\* (\S+)")
_STOP = {"&&", "||", ";", "\\"}


def _words_until_stop(text: str) -> list[str]:
    """The words of a shell command, up to the next && or ; (package lists)."""
    words = []
    for word in shlex.split(text.replace(";", " ; "), posix=True):
        if word in _STOP:
            break
        words.append(word)
    return words


@dataclass
class Layer:
    """What one image's own Dockerfile adds on top of its parent."""

    image: str
    parent: str | None = None
    user: str | None = None                       # its USER, if it sets one
    path: str | None = None                       # its ENV PATH, $PATH expanded later
    env: dict[str, str] = field(default_factory=dict)
    apt: list[str] = field(default_factory=list)  # Debian packages installed
    pip: list[str] = field(default_factory=list)  # requirements pip installs by name
    pip_trees: list[str] = field(default_factory=list)  # source dirs pip installs (/nova)
    archives: dict[str, str] = field(default_factory=dict)  # source dir -> kolla source section
    plugins: str | None = None                    # where plugins-archive unpacks (/plugins)
    files: dict[str, str] = field(default_factory=dict)     # path in image -> file of the tree
    venvs: list[str] = field(default_factory=list)          # dirs `python3 -m venv` makes
    links: list[str] = field(default_factory=list)          # symlinks made with ln -s
    groups: dict[str, list[str]] = field(default_factory=dict)  # user -> groups added
    chowned: dict[str, tuple[int, int]] = field(default_factory=dict)  # dir -> uid, gid


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, rest) pairs. As Docker's parser does, a continued line
    goes on past blank lines and comment lines (Jinja leaves both)."""
    out, pending = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        continued = line.endswith("\\")
        line = line[:-1].rstrip() if continued else line
        pending = line if pending is None else f"{pending} {line}"
        if not continued:
            word, _, rest = pending.partition(" ")
            out.append((word.upper(), rest.strip()))
            pending = None
    if pending:
        word, _, rest = pending.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _env_pairs(rest: str) -> dict[str, str]:
    if "=" not in rest.split()[0]:          # legacy `ENV KEY value`
        key, _, value = rest.partition(" ")
        return {key: value.strip()}
    return dict(word.split("=", 1) for word in shlex.split(rest))


@functools.cache
def layer(image: str) -> Layer:
    """Read the rendered Dockerfile of `image` (its own instructions only)."""
    out = Layer(image)
    source_links = {}
    for word, rest in _instructions(rendered(image)):
        if word == "FROM":
            ref = rest.split()[0]
            if ref.startswith(NAMESPACE + "/"):
                out.parent = ref.split("/", 1)[1].split(":")[0]
        elif word == "USER":
            out.user = rest.split()[0]
        elif word == "ENV":
            pairs = _env_pairs(rest)
            out.env.update(pairs)
            if "PATH" in pairs:
                out.path = pairs["PATH"]
        elif word in ("COPY", "ADD"):
            args = [a for a in shlex.split(rest) if not a.startswith("--")]
            *sources, dest = args
            if word == "ADD" and len(sources) == 1 and sources[0].endswith("-archive"):
                # plugins-archive holds the image's plugin sections
                # (<image>-plugin-*) that the build enables, each unpacked
                # under its plugins/ dir; which ones is the build's choice
                # (image.py), not the Dockerfile's.
                if sources[0] == "plugins-archive":
                    out.plugins = dest.rstrip("/") + "/plugins"
                else:
                    out.archives[dest.rstrip("/")] = sources[0][:-len("-archive")]
                continue
            for source in sources:
                target = (dest.rstrip("/") + "/" + Path(source).name
                          if dest.endswith("/") or len(sources) > 1 else dest)
                out.files[target] = source
        elif word == "RUN":
            for match in _APT.finditer(rest):
                out.apt += _words_until_stop(rest[match.end():])
            for match in _PIP.finditer(rest):
                for requirement in _words_until_stop(rest[match.end():]):
                    if requirement.startswith("-"):
                        continue
                    (out.pip_trees if requirement.startswith("/") else out.pip).append(requirement)
            out.venvs += _VENV.findall(rest)
            out.links += [link for _target, link in _LINK.findall(rest)]
            for groups, user in _GROUPS.findall(rest):
                out.groups.setdefault(user, []).extend(groups.split(","))
            for uid, gid, path in _CHOWN.findall(rest):
                out.chowned[path] = (int(uid), int(gid))
            for section, tree in _SOURCE_LINK.findall(rest):
                source_links["/" + tree] = section
    # /nova is a link to /nova-base-source/<unpacked dir>, the ADDed archive
    # of kolla-build's source section nova-base.
    for tree, section in source_links.items():
        if f"/{section}-source" in out.archives:
            out.archives[tree] = out.archives[f"/{section}-source"]
    return out


def chain(image: str) -> list[Layer]:
    """The image's layers, base first."""
    layers = [layer(image)]
    while layers[-1].parent:
        layers.append(layer(layers[-1].parent))
    return layers[::-1]


def tree_file(image: str, name: str) -> Path:
    """A file of the tree that `image`'s Dockerfile COPYs (its own dir first,
    as kolla-build copies each image's dir into its build context)."""
    path = image_dirs()[image] / name
    assert path.is_file(), f"{image}: no {name} in {image_dirs()[image]}"
    return path


def environ_path(layers: list[Layer]) -> list[str]:
    """The image's PATH: each ENV PATH with $PATH as the one before."""
    value = DEFAULT_PATH
    for item in layers:
        if item.path:
            value = item.path.replace("$PATH", value).replace("${PATH}", value)
    return [d for d in value.split(os.pathsep) if d]
