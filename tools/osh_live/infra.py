"""The infrastructure images (PostgreSQL, MariaDB, RabbitMQ, Memcached),
built with podman from Debian bookworm's packages on the live base image.
Each keeps the interface the charts use of the official image of its name
(osh_live/infra/README.md); an image is rebuilt only when its directory
changes.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

from osh_live import baseimage, host, paths
from osh_live.proc import LiveError, output, say

HERE = Path(__file__).resolve().parent / "infra"
REGISTRY = "localhost"
NAMESPACE = "osh-live"

# image -> (tag, the Debian package whose version it is). The tag is the
# release series Debian bookworm carries, so values can name it ahead.
IMAGES = {
    "postgres": ("15-debian-bookworm", "postgresql-15"),
    "mariadb": ("10.11-debian-bookworm", "mariadb-server"),
    "rabbitmq": ("3.10-debian-bookworm", "rabbitmq-server"),
    "memcached": ("1.6-debian-bookworm", "memcached"),
}


def ref(image: str) -> str:
    return f"{REGISTRY}/{NAMESPACE}/{image}:{IMAGES[image][0]}"


def context_key(directory: Path, base: str) -> str:
    """The digest of a build context (every file's path, mode and content) and its base."""
    digest = hashlib.sha256(base.encode())
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(oct(path.stat().st_mode & 0o777).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp(image: str) -> Path:
    return paths.cache("infra", "built") / f"{image}.json"


def recorded(image: str) -> dict:
    stamp = _stamp(image)
    return json.loads(stamp.read_text()) if stamp.exists() else {}


def current(image: str, key: str, ids: dict[str, str]) -> bool:
    seen = recorded(image)
    return seen.get("key") == key and ids.get(ref(image)) == seen.get("id")


def build(images: list[str]) -> list[str]:
    """Build what of `images` is not current; their refs."""
    ids = host.image_ids()
    for image in images:
        key = context_key(HERE / image, baseimage.REF)
        if current(image, key, ids):
            continue
        log = paths.cache("infra", "logs") / f"{image}-{time.strftime('%Y%m%d-%H%M%S')}.log"
        say(f"podman build {ref(image)}; log {log}")
        started = time.monotonic()
        with log.open("w") as out:
            result = subprocess.run(
                ["podman", "build", "--build-arg", f"BASE={baseimage.REF}",
                 "--label", f"org.opencontainers.image.title={image}",
                 "--tag", ref(image), str(HERE / image)],
                stdout=out, stderr=subprocess.STDOUT)
        if result.returncode != 0:
            raise LiveError(f"podman build of {ref(image)} failed; log: {log}")
        package = IMAGES[image][1]
        version = output(["podman", "run", "--rm", "--entrypoint", "dpkg-query", ref(image),
                          "-W", "-f", "${Version}", package]).strip()
        _stamp(image).write_text(json.dumps(
            {"key": key, "id": host.image_id(ref(image)), "package": package,
             "version": version, "seconds": round(time.monotonic() - started)}))
        say(f"{ref(image)}: {package} {version}, built in {time.monotonic() - started:.0f} s")
    return [ref(image) for image in images]
