"""Shared fixtures: the project root, the real Helm binaries, and the filter itself."""
from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import kubernetes_validate.utils
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Helm 4's stdin for nine OpenDev charts: third-party data kept beside the clone,
# not in it. Without it the tests about those streams are skipped, saying why,
# and tests that only need some stream take the project's own inputs instead.
FIXTURES = ROOT.parent / "shared" / "fixtures" / "helm4-input"
THIRD_PARTY = sorted(FIXTURES.glob("*.yaml"))
MISSING_THIRD_PARTY = (f"the third-party fixtures are missing: no {FIXTURES} "
                       "(../shared/fixtures/helm4-input beside the clone)")
needs_third_party = pytest.mark.skipif(not THIRD_PARTY, reason=MISSING_THIRD_PARTY)
OWN_STREAMS = [ROOT / "tests" / "overlay" / "inputs" / "small.yaml",
               ROOT / "tests" / "overlay" / "inputs" / "selectors.yaml"]
SAMPLE_STREAMS = THIRD_PARTY or OWN_STREAMS

# Every run of the suite proves that stages call touch() before changing a document.
os.environ["OSH_POSTRENDER_VERIFY_TOUCH"] = "1"

# kubernetes-validate reads and parses its schema files, the 1.4 MB
# _definitions.json among them, and lists its schema dirs again for every
# object it validates: some 130 ms an object here, against 12 ms with each
# file parsed once a session. The files never change and the library only
# reads what they give; the validation is still the library's own.
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(
    kubernetes_validate.utils.schema_contents)
kubernetes_validate.utils.all_versions = functools.lru_cache(maxsize=None)(
    kubernetes_validate.utils.all_versions)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Tests marked `releases` need the 2025.1 releases (tests/releases.py):
    start installing them now, in the background, and run those tests last,
    each module kept whole, so that the install overlaps the rest of the run."""
    needing = [item for item in items if item.get_closest_marker("releases")]
    if not needing:
        return
    from tests import releases
    releases.start(kolla=any(item.get_closest_marker("releases").kwargs.get("kolla")
                             for item in needing))
    items[:] = [item for item in items if not item.get_closest_marker("releases")] + needing


def pytest_sessionfinish(session, exitstatus):
    from tests import releases
    releases.stop()


def third_party() -> list:
    """The fixtures as pytest parameters (one skipped parameter when they are missing)."""
    if THIRD_PARTY:
        return [pytest.param(path, id=path.stem) for path in THIRD_PARTY]
    return [pytest.param(None, id="third-party",
                         marks=pytest.mark.skip(reason=MISSING_THIRD_PARTY))]


@pytest.fixture(autouse=True)
def _isolated_log(tmp_path, monkeypatch):
    """Keep each test's diagnostics log in its own tmp dir, and out of $HOME."""
    log = tmp_path / "osh-postrender.log"
    monkeypatch.setenv("OSH_POSTRENDER_LOG", str(log))
    for var in ("OSH_REGION", "OSH_ROOT", "HELM_PLUGIN_DIR", "HELM_PLUGIN_NAME"):
        monkeypatch.delenv(var, raising=False)
    return log


def postrender(stdin: bytes | str, *args: str, env: dict | None = None,
               cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real command line, as Helm would, in a subprocess."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([sys.executable, "-m", "postrender", *args], input=data,
                          capture_output=True, env={**os.environ, **(env or {})},
                          cwd=cwd or ROOT, timeout=120)


def _fetch_helm(major: str) -> Path:
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_helm.py"), major],
                         check=True, capture_output=True, text=True).stdout
    return Path(out.strip())


class Helm:
    """A pinned Helm binary with its own config, data and cache dirs."""

    def __init__(self, binary: Path, home: Path):
        self.binary = binary
        self.major = int(binary.parent.name[1])
        self.env = {
            **os.environ,
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_PLUGINS": str(home / "data" / "plugins"),
            # The console script, for Helm 3's --post-renderer lookup on PATH.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }

    def run(self, *args: str, check: bool = True, env: dict | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run([str(self.binary), *args], capture_output=True, text=True,
                                env={**self.env, **(env or {})}, cwd=cwd or ROOT, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stderr}")
        return result

    def post_renderer_args(self, *args: str) -> list[str]:
        """`--post-renderer osh-postrender` plus arguments, the same for both majors."""
        out = ["--post-renderer", "osh-postrender"]
        for arg in args:
            out.append(f"--post-renderer-args={arg}")
        return out


@pytest.fixture(scope="session")
def helm3(tmp_path_factory) -> Helm:
    return Helm(_fetch_helm("3"), tmp_path_factory.mktemp("helm3"))


@pytest.fixture(scope="session")
def helm4(tmp_path_factory) -> Helm:
    helm = Helm(_fetch_helm("4"), tmp_path_factory.mktemp("helm4"))
    helm.run("plugin", "install", str(ROOT))
    return helm


@pytest.fixture(scope="session", params=["3", "4"])
def helm(request) -> Helm:
    """Each test that takes `helm` runs once with Helm 3 and once with Helm 4."""
    return request.getfixturevalue(f"helm{request.param}")
