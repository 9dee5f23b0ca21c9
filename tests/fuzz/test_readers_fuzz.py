"""Fuzzing the readers of untrusted text: manifests, hot-fix diffs, overlay config files.

Every input must either succeed or fail with the tool's own error
(PostRenderError): no other exception, so no traceback reaches an operator.
The CI run is bounded; a long run is
  OSH_FUZZ_EXAMPLES=50000 tools/test tests/fuzz -q
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postrender import stream
from postrender.errors import PostRenderError
from postrender.hotfix import patchfile
from postrender.overlaydir import OverlayDir
from postrender.placement import policy
from tests.conftest import ROOT, SAMPLE_STREAMS, postrender

EXAMPLES = int(os.environ.get("OSH_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

MANIFEST_SEEDS = [next((p for p in SAMPLE_STREAMS if p.stem == "memcached"),  # small, varied
                       SAMPLE_STREAMS[0]).read_bytes()[:4000],
                  b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: |\n    x\n"]
PATCH_SEEDS = [p.read_bytes() for p in sorted((ROOT / "patches").rglob("*.patch"))][:4] or [
    b"--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"]
POLICY_SEEDS = [p.read_bytes() for p in sorted((ROOT / "placement").glob("*.yaml"))][:2] or [
    b"species: {}\n"]


@st.composite
def mutated(draw, seeds: list[bytes]):
    """A seed with a few random byte edits: near-valid input finds the deep paths."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "splice"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif op == "replace" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        else:
            data[at:at] = draw(st.sampled_from([b"\n---\n", b": ", b"- ", b"&a ", b"*a",
                                                b"{", b"[", b"\t", b"'", b"@@", b"\n+++ ",
                                                b"\n--- ", b"\x00", b"\xff", b"!!binary "]))
    return bytes(data)


def inputs(seeds: list[bytes]):
    return st.one_of(mutated(seeds), st.binary(max_size=300))


@FUZZ
@given(inputs(MANIFEST_SEEDS))
def test_manifest_reader_succeeds_or_says_why(data):
    try:
        stream.emit(stream.parse(stream.decode(data)))
    except PostRenderError as err:
        assert str(err)


@FUZZ
@given(inputs(PATCH_SEEDS))
def test_patch_reader_succeeds_or_says_why(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return  # decoding is the catalog's job, fuzzed through OverlayDir below
    try:
        patchfile.parse("nova", "fuzz.patch", text, "patches/nova/fuzz.patch")
    except PostRenderError as err:
        assert "patches/nova/fuzz.patch" in str(err)


@FUZZ
@given(inputs(POLICY_SEEDS))
def test_policy_reader_succeeds_or_says_why(tmp_path_factory, data):
    overlay = tmp_path_factory.mktemp("policy")
    (overlay / "placement.yaml").write_bytes(data)
    try:
        policy.load(OverlayDir(overlay, overlay))
    except PostRenderError as err:
        assert str(err)


@pytest.mark.parametrize("data", [b"\xff\xfe", b"- [\n", b"a: &a [*a]\n", b"{" * 5000,
                                  b"[" * 100000, b"apiVersion: v1\nkind: X\n"])
def test_cli_never_shows_a_traceback(data):
    result = postrender(data)
    assert result.returncode == 3
    assert result.stdout == b""
    assert b"Traceback" not in result.stderr and b"osh-postrender: error:" in result.stderr


REGION_DIR = ROOT / "overlays" / "europe-example-region"
CONFIG_SEEDS = {name: (REGION_DIR / name).read_bytes()
                for name in ("kustomization.yaml", "hotfix.yaml", "placement.yaml", "check.yaml")}


@FUZZ
@given(st.sampled_from(sorted(CONFIG_SEEDS)), st.data())
def test_overlay_config_readers_succeed_or_say_why(tmp_path_factory, name, data):
    """Every file a region declares, mutated, through the same loading the CLI does."""
    from postrender import pipeline

    root = tmp_path_factory.mktemp("region")
    shutil.copytree(ROOT / "placement", root / "placement")
    shutil.copytree(ROOT / "patches", root / "patches")
    overlay = root / "overlays" / "r"
    shutil.copytree(REGION_DIR, overlay)
    (overlay / name).write_bytes(data.draw(inputs([CONFIG_SEEDS[name]])))
    try:
        pipeline.build(OverlayDir(overlay, root), check_policy=True)
    except PostRenderError as err:
        assert str(err)
