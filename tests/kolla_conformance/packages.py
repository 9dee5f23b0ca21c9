"""Which files a package installs, from the packages themselves, fetched at
test time and cached in .cache/kolla-conformance.

- Debian packages: the file list of the .deb that `apt-get download` fetches
  (Debian bookworm's archive, the one this machine's apt reaches, standing in
  for Ubuntu noble's: Kolla installs the same package names on both, and the
  Ubuntu archive is not reachable here), with `apt-cache show` for a
  package's source and dependencies.
- Python packages: the console scripts of the release's wheel from PyPI
  (entry_points.txt), or of its sdist where there is no wheel.

A .deb's file list is cached by the .deb's file name (package and version),
a release's scripts by its requirement (with the file it resolved to), so a
second run makes no network request.
"""
from __future__ import annotations

import configparser
import functools
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from tests.conftest import ROOT

CACHE = ROOT / ".cache" / "kolla-conformance"


class Unavailable(RuntimeError):
    """A package or its data could not be had (no index, unknown name)."""


def cached(kind: str, key: str, build) -> object:
    path = CACHE / kind / (re.sub(r"[^A-Za-z0-9.+_=-]+", "_", key) + ".json")
    if path.exists():
        return json.loads(path.read_text())
    value = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    tmp.write_text(json.dumps(value, sort_keys=True))
    tmp.rename(path)
    return value


def merged_usr(path: str) -> str:
    """Ubuntu's /bin, /sbin and /lib are links into /usr (merged /usr)."""
    for top in ("/bin/", "/sbin/", "/lib/", "/lib64/"):
        if path.startswith(top):
            return "/usr" + path
    return path


# --- Debian -------------------------------------------------------------------
#
# The control fields come from the package lists apt already holds
# (/var/lib/apt/lists, read with apt-helper): apt-cache answers in some 6 s a
# call here, as this machine keeps no binary cache, and the tests ask for a
# few hundred packages.

LISTS = Path("/var/lib/apt/lists")
_FIELDS = ("Package", "Version", "Source", "Depends", "Pre-Depends", "Priority", "Filename")


def _order(c: str) -> int:
    if c == "~":
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _compare_part(a: str, b: str) -> int:
    """dpkg's verrevcmp: alternating non-digit and digit runs."""
    while a or b:
        i = 0
        while (i < len(a) and not a[i].isdigit()) or (i < len(b) and not b[i].isdigit()):
            ca = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            cb = _order(b[i]) if i < len(b) and not b[i].isdigit() else 0
            if ca != cb:
                return ca - cb
            i += 1
        a, b = a[i:], b[i:]
        da = re.match(r"\d*", a)[0]
        db = re.match(r"\d*", b)[0]
        if int(da or 0) != int(db or 0):
            return int(da or 0) - int(db or 0)
        a, b = a[len(da):], b[len(db):]
    return 0


def compare_versions(a: str, b: str) -> int:
    def split(v):
        epoch, _, rest = v.rpartition(":") if ":" in v else ("0", "", v)
        upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "0")
        return int(epoch or 0), upstream, revision
    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    return (ea - eb) or _compare_part(ua, ub) or _compare_part(ra, rb)


@functools.cache
def index_key() -> str:
    """Names the package lists apt holds now: a cache key for answers read from them."""
    lists = sorted(LISTS.glob("*_Packages*"))
    if not lists:
        raise Unavailable(f"no package lists in {LISTS}: run apt-get update")
    return hashlib.sha256(repr([(p.name, p.stat().st_size, p.stat().st_mtime) for p in lists])
                          .encode()).hexdigest()[:16]


@functools.cache
def _index() -> dict[str, dict[str, str]]:
    """{package: fields of its newest version} over every list apt holds."""
    lists = sorted(LISTS.glob("*_Packages*"))
    key = index_key()

    def build():
        index: dict[str, dict[str, str]] = {}
        for path in lists:
            text = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", str(path)],
                                  capture_output=True, text=True, check=True).stdout
            for stanza in text.split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    if line[:1].isspace():
                        continue
                    name, _, value = line.partition(":")
                    if name in _FIELDS:
                        fields[name] = value.strip()
                package = fields.get("Package")
                if not package:
                    continue
                old = index.get(package)
                if old is None or compare_versions(fields["Version"], old["Version"]) > 0:
                    index[package] = fields
        return index
    return cached("apt-index", key, build)


def deb_fields(package: str) -> dict[str, str] | None:
    """The candidate version's control fields, or None for a package the
    archive does not have (an Ubuntu-only name, a glob)."""
    return _index().get(package)


def deb_source(package: str) -> str:
    fields = deb_fields(package) or {}
    return fields.get("Source", package).split()[0]


def deb_depends(package: str) -> list[str]:
    """Each Depends/Pre-Depends entry's first alternative, as apt picks it."""
    fields = deb_fields(package) or {}
    out = []
    for key in ("Pre-Depends", "Depends"):
        for entry in filter(None, (e.strip() for e in fields.get(key, "").split(","))):
            out.append(entry.split("|")[0].split()[0].split(":")[0])
    return out


def required_debs() -> tuple[str, ...]:
    """The packages of priority required: what the distribution's minimal
    base image (`FROM ubuntu`) is made of."""
    return tuple(sorted(p for p, f in _index().items() if f.get("Priority") == "required"))


def _deb_cache(package: str) -> Path:
    filename = Path(deb_fields(package)["Filename"]).name
    return CACHE / "deb-files" / (filename + ".json")


def fetch_debs(names: list[str]) -> None:
    """Download and list the .debs of `names` not listed yet, in one apt-get run."""
    missing = [n for n in names if deb_fields(n) and not _deb_cache(n).exists()]
    if not missing:
        return
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(["apt-get", "download", *missing], cwd=tmp,
                                capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            raise Unavailable(f"apt-get download {' '.join(missing)}: {result.stderr[-800:]}")
        for name in missing:
            # apt-get names the file by package and version, %-quoting some characters.
            (deb,) = Path(tmp).glob(f"{name}_*.deb")
            data = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)],
                                  capture_output=True, check=True, timeout=300).stdout
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                files = {merged_usr(m.name.lstrip(".")) for m in archive.getmembers()
                         if not m.isdir()}
            files |= _alternatives(deb, files)
            path = _deb_cache(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(sorted(files)))


_ALTERNATIVE = re.compile(r"update-alternatives\s+(?:--\S+\s+)*--install\s+(\S+)\s+\S+\s+(\S+)")


def _alternatives(deb: Path, files: set[str]) -> set[str]:
    """The links the package's postinst makes with update-alternatives
    (Debian's /usr/sbin/ovs-vswitchd is one): not in the .deb, made at install."""
    result = subprocess.run(["dpkg-deb", "--info", str(deb), "postinst"],
                            capture_output=True, text=True)
    script = re.sub(r"\\\n", " ", result.stdout) if result.returncode == 0 else ""
    return {merged_usr(link) for link, target in _ALTERNATIVE.findall(script)
            if merged_usr(target) in files}


@functools.cache
def deb_files(package: str) -> frozenset[str]:
    """Every path the package's .deb holds (files and symlinks), /usr-merged."""
    fetch_debs([package])
    return frozenset(json.loads(_deb_cache(package).read_text()))


# --- Python -------------------------------------------------------------------

def _scripts_of_wheel(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        scripts = [n.rsplit("/", 1)[1] for n in names if re.match(r"[^/]+\.data/scripts/[^/]+$", n)]
        entry = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
        if entry:
            parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
            parser.optionxform = str
            parser.read_string(wheel.read(entry).decode())
            for section in ("console_scripts", "gui_scripts"):
                if parser.has_section(section):
                    scripts += list(parser[section])
    return scripts


def _scripts_of_sdist(path: Path) -> list[str]:
    """setup.cfg's entry points and scripts (pbr and setuptools), and the one
    build that installs a compiled program instead: uWSGI's setup.py builds
    its binary straight into the scripts dir under buildconf/base.ini's bin_name."""
    scripts = []
    with tarfile.open(path) as archive:
        members = {m.name.split("/", 1)[-1]: m for m in archive.getmembers() if m.isfile()}

        def read(name: str) -> str | None:
            member = members.get(name)
            return archive.extractfile(member).read().decode() if member else None

        setup_cfg = read("setup.cfg")
        if setup_cfg:
            parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
            parser.optionxform = str
            parser.read_string(setup_cfg)
            for section in ("entry_points", "options.entry_points"):
                for key in ("console_scripts", "gui_scripts"):
                    if parser.has_option(section, key):
                        scripts += [line.split("=")[0].strip() for line in
                                    parser[section][key].splitlines() if "=" in line]
            for section in ("files", "options"):
                if parser.has_option(section, "scripts"):
                    scripts += [Path(s.strip()).name for s in parser[section]["scripts"].split()]
        base_ini = read("buildconf/base.ini")
        if base_ini and read("uwsgiconfig.py"):
            match = re.search(r"^bin_name\s*=\s*(\S+)", base_ini, re.M)
            scripts.append(match[1] if match else "uwsgi")
    return scripts


@functools.cache
def python_scripts(requirement: str) -> frozenset[str]:
    """The commands a pip install of `requirement` puts in the venv's bin."""
    def build():
        with tempfile.TemporaryDirectory() as tmp:
            for how in (["--only-binary=:all:"], ["--no-binary=:all:"]):
                result = subprocess.run(
                    [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                     "--disable-pip-version-check", *how, "--dest", tmp, requirement],
                    capture_output=True, text=True, timeout=600)
                if result.returncode == 0:
                    break
            else:
                raise Unavailable(f"pip download {requirement}: {result.stderr.strip()[-800:]}")
            (path,) = Path(tmp).iterdir()
            scripts = (_scripts_of_wheel(path) if path.suffix == ".whl"
                       else _scripts_of_sdist(path))
            return {"file": path.name, "scripts": sorted(set(scripts))}
    return frozenset(cached("pypi", requirement, build)["scripts"])
