"""Fixtures for the chart tests: a built copy of charts/ per Helm major.

`helm dependency build` writes charts/*/charts/*.tgz (git-ignored) and packs
file:// dependencies as they are on disk, so a chart's own dependencies are
built before any chart that packs it. That happens once per session and Helm
major, in a tmp copy, so that a half-edited chart in the shared tree is never
touched and the tests never write into the work tree.
"""
from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

CHARTS = ROOT / "charts"
REGION = "europe-example-region"
RELEASE = "europe"
NAMESPACE = "openstack"


def chart_yaml(path: Path) -> dict:
    return yaml.safe_load((path / "Chart.yaml").read_text())


def local_dependencies(path: Path) -> list[Path]:
    """The chart dirs a chart depends on through file:// repositories."""
    out = []
    for dep in chart_yaml(path).get("dependencies") or []:
        repo = dep.get("repository", "")
        if repo.startswith("file://"):
            out.append((path / repo[len("file://"):]).resolve())
    return out


def release_charts(top: Path) -> list[Path]:
    """Every chart a region installs, dependencies before their dependents."""
    order: list[Path] = []

    def visit(path: Path) -> None:
        if path in order:
            return
        for dep in local_dependencies(path):
            visit(dep)
        order.append(path)

    visit(top.resolve())
    return order


def deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


# libyaml's parser with PyYAML's safe constructor: the same objects as
# yaml.safe_load_all (checked on the region's render), at a tenth of the CPU;
# the chart tests parse the region's render dozens of times.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def documents(text: str) -> list[dict]:
    return [d for d in yaml.load_all(text, Loader=_LOADER) if d]


@dataclass
class ChartTree:
    """A copy of charts/ with its dependencies built by one Helm."""

    helm: object
    root: Path
    charts: list[Path] = field(default_factory=list)
    _rendered: dict = field(default_factory=dict, repr=False)

    def path(self, name: str) -> Path:
        return self.root / name

    def template(self, chart: str, *args: str, check: bool = True):
        return self.helm.run("template", RELEASE, str(self.path(chart)),
                             "--namespace", NAMESPACE, *args, check=check)

    def render(self, chart: str = REGION, *args: str) -> list[dict]:
        return documents(self.template(chart, *args).stdout)

    def rendered(self, chart: str = REGION, *args: str) -> str:
        """The output of `helm template` of `chart` with `args`, run once a
        session for all the tests that read the same render (the region takes
        10 to 30 s here). A test of rendering itself, that it is deterministic
        or fails, runs template() or render()."""
        key = (chart, args)
        if key not in self._rendered:
            self._rendered[key] = self.template(chart, *args).stdout
        return self._rendered[key]

    def region_without(self, key: str, workdir: Path) -> Path:
        """A copy of the built region chart whose values.yaml lacks `key`
        (dotted). `--set key=null` cannot say this: Helm fills a nulled key
        back from the chart's own values.yaml, and keeps nulled globals."""
        copy_dir = workdir / REGION
        shutil.copytree(self.path(REGION), copy_dir)
        values = yaml.safe_load((copy_dir / "values.yaml").read_text())
        *parents, last = key.split(".")
        node = values
        for part in parents:
            node = node[part]
        del node[last]
        (copy_dir / "values.yaml").write_text(yaml.safe_dump(values))
        return copy_dir


def build_chart_tree(helm, workdir: Path) -> ChartTree:
    """A copy of charts/ in `workdir` with every dependency built, bottom-up, by `helm`."""
    root = workdir / "charts"
    shutil.copytree(CHARTS, root, ignore=shutil.ignore_patterns("*.tgz", "tmpcharts*"))
    order = release_charts(root / REGION)
    for path in order:
        if chart_yaml(path).get("dependencies"):
            helm.run("dependency", "build", str(path))
    return ChartTree(helm, root, order)


# One built tree per Helm major serves every test directory: tests only read
# it (a test that needs other values writes them into its own tmp dir).
_BUILT: dict[int, ChartTree] = {}


def built_chart_tree(helm, tmp_path_factory) -> ChartTree:
    tree = _BUILT.get(helm.major)
    if tree is None:
        workdir = tmp_path_factory.mktemp(f"charts-helm{helm.major}")
        tree = _BUILT[helm.major] = build_chart_tree(helm, workdir)
    return tree


@pytest.fixture(scope="session")
def chart_tree(helm, tmp_path_factory) -> ChartTree:
    return built_chart_tree(helm, tmp_path_factory)


def region_values() -> dict:
    return yaml.safe_load((CHARTS / REGION / "values.yaml").read_text())


def chart_values(name: str) -> dict:
    return yaml.safe_load((CHARTS / name / "values.yaml").read_text()) or {}


def values_in_region(name: str) -> dict:
    """The values chart `name` gets inside the region: its defaults, the
    umbrella's section for it, the region's section for it, and the globals
    of all three, merged the way Helm merges them."""
    region = region_values()
    umbrella = chart_values("openstack")
    if name == REGION:
        return region
    if name == "openstack":
        return deep_merge(umbrella, {**region.get("openstack", {}), "global": region.get("global", {})})
    glob = deep_merge(umbrella.get("global", {}), region.get("global", {}))
    values = deep_merge(chart_values(name), umbrella.get(name, {}) or {})
    values = deep_merge(values, region.get("openstack", {}).get(name, {}) or {})
    values["global"] = deep_merge(values.get("global", {}), glob)
    return values
