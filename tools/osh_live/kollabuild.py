"""The Kolla images, built by kolla-build with podman on the local Debian
base image. Each image is keyed by what goes into it (its rendered
Dockerfile, its sources, its parent's key, the kolla version); an image
whose key has not changed is not built again, and one whose key changed is
untagged first so that kolla-build's --skip-existing builds it anew.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import tarfile
import time
from pathlib import Path

from osh_live import (baseimage, constraints, host, kollaconfig, kollaenv,
                      podmanservice, paths, sources, versions)
from osh_live.proc import LiveError, output, run, say

THREADS = 3
_FROM = re.compile(r"^FROM\s+(\S+)", re.M)
_BUILD_DATE = re.compile(r'\s*build-date="\d+"')


def parent(dockerfile: str) -> str | None:
    """The Kolla image a Dockerfile builds on; None for the base image."""
    match = _FROM.search(dockerfile)
    prefix = f"{kollaconfig.REGISTRY}/{kollaconfig.NAMESPACE}/"
    if not match or not match.group(1).startswith(prefix):
        return None
    return match.group(1)[len(prefix):].split(":")[0]


def ancestry(image: str, dockerfiles: dict[str, str]) -> list[str]:
    """`image` and its parents, the base image last."""
    chain = [image]
    while (up := parent(dockerfiles[chain[-1]])) is not None:
        chain.append(up)
    return chain


def image_sections(image: str, sections: list[str]) -> list[str]:
    """The source sections kolla-build adds to `image`'s build."""
    return sorted(s for s in sections if s == image or s.startswith(
        (f"{image}-plugin-", f"{image}-additions-")))


def image_key(dockerfile: str, source_digests: list[str], parent_key: str) -> str:
    """What an image is built from, as one digest. The build date label
    changes every day without changing the image, so it is left out."""
    content = _BUILD_DATE.sub("", dockerfile)
    return hashlib.sha256(json.dumps(
        [versions.KOLLA, content, source_digests, parent_key]).encode()).hexdigest()


def _digest(path: Path, memo: dict[Path, str]) -> str:
    if path not in memo:
        memo[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return memo[path]


def render(work: Path, args: list[str], key: str) -> dict[str, str]:
    """{image: Dockerfile} for every Kolla image, rendered by kolla-build.

    Rendering all of Kolla's templates takes some 20 s, so the result is kept
    under `key`, the digest of what the templates are rendered from.
    """
    kept = work.with_name(f"render-{key[:16]}.json")
    if kept.exists():
        return json.loads(kept.read_text())
    shutil.rmtree(work, ignore_errors=True)
    logs = work / "logs"
    logs.mkdir(parents=True)
    run([kollaenv.kolla_build(), "--engine", "podman", "--template-only",
         "--work-dir", work, "--logs-dir", logs,
         "--base-image", baseimage.REF.split(":")[0], *args], quiet=True)
    dockerfiles = {path.parent.name: path.read_text()
                   for path in (work / "docker").rglob("Dockerfile")}
    for old in work.parent.glob("render-*.json"):
        old.unlink()
    kept.write_text(json.dumps(dockerfiles))
    shutil.rmtree(work, ignore_errors=True)
    return dockerfiles


def _driver_requirements(files: list[str], sdists: dict[str, Path]) -> list[str]:
    """Requirements of files inside a source tree (`-r /ironic/driver-requirements.txt`)."""
    out = []
    for name in files:
        top, _, inner = name.lstrip("/").partition("/")
        section = f"{top}-base" if f"{top}-base" in sdists else top
        with tarfile.open(sdists[section]) as tar:
            member = next(m for m in tar.getmembers() if m.name.split("/", 1)[-1] == inner)
            text = tar.extractfile(member).read().decode()
        out += [line.split("#")[0].strip() for line in text.splitlines()
                if line.split("#")[0].strip()]
    return out


class Plan:
    """The inputs of a build of the Kolla images, prepared once a run."""

    def __init__(self, images: list[str]):
        self.images = images
        self.work = paths.cache("kolla", "work")
        self.sdists = sources.download()
        args = kollaconfig.write(self.work / "config", self.sdists, None)
        self.dockerfiles = render(self.work / "render", args, kollaconfig.templates_key(self.work / "config"))
        missing = [i for i in images if i not in self.dockerfiles]
        if missing:
            raise LiveError(f"kolla {versions.KOLLA} has no image {', '.join(missing)}")
        wanted = sorted({a for i in images for a in ancestry(i, self.dockerfiles)})
        requirements, files = [], []
        for image in wanted:
            found, found_files = constraints.dockerfile_requirements(self.dockerfiles[image])
            requirements += found
            files += found_files
        requirements += _driver_requirements(sorted(set(files)), self.sdists)
        self.constraints = constraints.ensure(requirements, self.sdists)
        self.args = kollaconfig.write(self.work / "config", self.sdists, self.constraints)
        self.section_paths = {**self.sdists, "openstack-base": self.constraints,
                              "kolla-toolbox-additions-requirements": self.constraints}
        self.keys: dict[str, str] = {}
        memo: dict[Path, str] = {}
        for image in wanted:
            for name in reversed(ancestry(image, self.dockerfiles)):
                if name in self.keys:
                    continue
                up = parent(self.dockerfiles[name])
                digests = [_digest(self.section_paths[s], memo)
                           for s in image_sections(name, list(self.section_paths))]
                self.keys[name] = image_key(self.dockerfiles[name], digests,
                                            self.keys[up] if up else baseimage.REF)


def _stamp(image: str) -> Path:
    return paths.cache("kolla", "built") / f"{image}.json"


def current(image: str, key: str, ids: dict[str, str]) -> bool:
    """Whether podman (its images: `ids`) has `image` built from `key`."""
    stamp = _stamp(image)
    if not stamp.exists():
        return False
    recorded = json.loads(stamp.read_text())
    return recorded.get("key") == key and ids.get(kollaconfig.ref(image)) == recorded.get("id")


def build(plan: Plan, images: list[str]) -> list[str]:
    """Build what of `images` (and their parents) is not current; their refs."""
    needed = sorted({a for i in images for a in ancestry(i, plan.dockerfiles)})
    ids = host.image_ids()
    stale = [i for i in needed if not current(i, plan.keys[i], ids)]
    if stale:
        for image in stale:
            if kollaconfig.ref(image) in ids:
                run(["podman", "untag", kollaconfig.ref(image)], quiet=True)
        _kolla_build(plan, stale)
    return [kollaconfig.ref(i) for i in images]


def _kolla_build(plan: Plan, stale: list[str]) -> None:
    logs = paths.cache("kolla", "logs") / time.strftime("%Y%m%d-%H%M%S")
    logs.mkdir(parents=True)
    summary = logs / "summary.json"
    say(f"kolla-build {' '.join(stale)}; logs in {logs}")
    started = time.monotonic()
    shutil.rmtree(plan.work / "build", ignore_errors=True)
    with podmanservice.running(logs / "podman-service.log") as url:
        with (logs / "kolla-build.log").open("w") as out:
            result = run([kollaenv.kolla_build(), "--engine", "podman",
                          "--podman_base_url", url,
                          "--base-image", baseimage.REF.split(":")[0], "--nopull",
                          "--skip-existing", "--retries", "0", "--threads", THREADS,
                          "--work-dir", plan.work / "build", "--logs-dir", logs,
                          "--summary-json-file", summary, *plan.args,
                          *(f"^{re.escape(i)}$" for i in stale)],
                         check=False, capture=True)
            out.write(result.stdout + result.stderr)
    shutil.rmtree(plan.work / "build", ignore_errors=True)
    built = json.loads(summary.read_text()).get("built", []) if summary.exists() else []
    for entry in built:
        name = entry["name"]
        if name in plan.keys:
            _stamp(name).write_text(json.dumps(
                {"key": plan.keys[name], "id": host.image_id(kollaconfig.ref(name))}))
    ids = host.image_ids()
    failed = [i for i in stale if not current(i, plan.keys[i], ids)]
    say(f"kolla-build: {len(built)} built in {time.monotonic() - started:.0f} s")
    if failed:
        raise LiveError(f"kolla-build did not build {', '.join(failed)}; "
                        f"logs: {logs} (one file an image, kolla-build.log)")
