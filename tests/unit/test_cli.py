"""The command line contract, run as a real subprocess."""
from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios

import pytest
import yaml

from postrender import __version__
from tests.conftest import ROOT, SAMPLE_STREAMS, postrender

STREAM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: 'yes'\n"


def test_help_documents_every_option_and_the_log_file():
    result = postrender("", "--help")
    assert result.returncode == 0
    for word in ("--region", "--overlay", "--root", "--stream-name", "--check", "--version",
                 "OSH_REGION", "OSH_ROOT", "HELM_PLUGIN_DIR", "OSH_POSTRENDER_LOG",
                 "OSH_POSTRENDER_JOBS", "exit codes"):
        assert word in result.stdout.decode(), word


def test_version():
    result = postrender("", "--version")
    assert result.stdout.decode().strip() == f"osh-postrender {__version__}"


def test_pass_through_without_region_is_byte_identical():
    result = postrender(STREAM)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == STREAM


def test_console_script_and_module_give_the_same_output():
    script = ROOT / ".venv" / "bin" / "osh-postrender"
    data = SAMPLE_STREAMS[0].read_bytes()
    via_script = subprocess.run([str(script)], input=data, capture_output=True, check=True)
    assert via_script.stdout == postrender(data).stdout


@pytest.mark.parametrize("args", [["--bogus"], ["--region", "a", "--overlay", "b"],
                                  ["--region", "../etc"]])
def test_usage_errors_exit_2_with_nothing_on_stdout(args):
    result = postrender(STREAM, *args)
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"osh-postrender: error:" in result.stderr


def test_stream_of_megabytes_gives_the_same_output_with_one_or_more_processes():
    pieces = [path.read_bytes() for path in SAMPLE_STREAMS * 3]
    data = b"".join(p if p.startswith(b"---\n") else b"---\n" + p for p in pieces)
    while len(data) <= (1 << 20):  # the project's own inputs are smaller
        data += data
    assert len(data) > (1 << 20)  # large enough for child processes
    outputs = {jobs: postrender(data, env={"OSH_POSTRENDER_JOBS": jobs}) for jobs in "123"}
    assert all(result.returncode == 0 for result in outputs.values())
    assert outputs["1"].stdout == outputs["2"].stdout == outputs["3"].stdout == data


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_jobs_setting_is_a_usage_error(value):
    result = postrender(STREAM, env={"OSH_POSTRENDER_JOBS": value})
    assert result.returncode == 2 and result.stdout == b""
    assert b"OSH_POSTRENDER_JOBS" in result.stderr


def test_input_error_exits_3_with_nothing_on_stdout():
    result = postrender(STREAM + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")
    assert result.returncode == 3
    assert result.stdout == b""
    assert b"document 2 ConfigMap: metadata.name: missing or empty" in result.stderr


def test_unknown_region_is_a_configuration_error_listing_known_regions(tmp_path):
    (tmp_path / "overlays" / "north").mkdir(parents=True)
    result = postrender(STREAM, "--region", "south", "--root", str(tmp_path))
    assert result.returncode == 4 and result.stdout == b""
    assert b"no region 'south'" in result.stderr and b"north" in result.stderr


@pytest.mark.parametrize("how", ["--root", "OSH_ROOT", "HELM_PLUGIN_DIR", "cwd"])
def test_project_root_resolution_order(tmp_path, how):
    (tmp_path / "overlays" / "empty").mkdir(parents=True)
    args, env, cwd = ["--region", "empty"], {}, ROOT
    if how == "--root":
        args += ["--root", str(tmp_path)]
        env["OSH_ROOT"] = "/nonexistent"  # the flag wins over the environment
    elif how == "cwd":
        cwd = tmp_path
    else:
        env[how] = str(tmp_path)
    result = postrender(STREAM, *args, env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == STREAM


def test_osh_region_is_the_default_region(tmp_path):
    result = postrender(STREAM, "--root", str(tmp_path), env={"OSH_REGION": "nowhere"})
    assert result.returncode == 4 and b"no region 'nowhere'" in result.stderr


def test_empty_overlay_declares_nothing_and_changes_nothing(tmp_path):
    data = b"---\n".join(p.read_bytes() for p in SAMPLE_STREAMS[:3])
    result = postrender(data, "--overlay", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert list(yaml.safe_load_all(result.stdout)) == [
        d for d in yaml.safe_load_all(data) if d is not None]


def test_error_is_written_to_the_log_file(_isolated_log):
    result = postrender("kind: [", env={"OSH_POSTRENDER_LOG": str(_isolated_log)})
    assert result.returncode == 3
    log = _isolated_log.read_text()
    assert "invalid YAML" in log and "(failed)" in log


def test_log_file_defaults_under_xdg_state_home(tmp_path, monkeypatch):
    monkeypatch.delenv("OSH_POSTRENDER_LOG")
    result = postrender("kind: [", env={"XDG_STATE_HOME": str(tmp_path)})
    assert result.returncode == 3
    assert "invalid YAML" in (tmp_path / "osh-postrender" / "osh-postrender.log").read_text()


def test_error_reaches_the_terminal_when_helm4_hides_stderr():
    """Helm 4 drops a plugin's stderr; the controlling terminal still shows the reason."""
    master, slave = os.openpty()

    def controlling_terminal():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    try:
        result = subprocess.run([sys.executable, "-m", "postrender"], input=b"kind: [",
                                capture_output=True, cwd=ROOT, preexec_fn=controlling_terminal,
                                pass_fds=(slave,), env={**os.environ, "HELM_PLUGIN_NAME": "osh-postrender"},
                                timeout=60)
        os.close(slave)
        seen = b""
        while select.select([master], [], [], 1)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert result.returncode == 3
    assert b"invalid YAML" in seen
    assert b"this is also in" in seen


@pytest.mark.parametrize("name", ["hotfix.yaml", "placement.yaml", "kustomization.yaml",
                                  "check.yaml"])
def test_invalid_yaml_in_an_overlay_file_is_a_configuration_error(tmp_path, name):
    (tmp_path / name).write_text("key: [unclosed\n")
    result = postrender(STREAM, "--overlay", str(tmp_path), "--check")
    assert result.returncode == 4, result.stderr
    assert result.stdout == b"" and b"Traceback" not in result.stderr
    assert f"{name}:2:1: invalid YAML".encode() in result.stderr


def test_duplicate_key_in_an_overlay_file_is_a_configuration_error(tmp_path):
    (tmp_path / "hotfix.yaml").write_text("patchDirs: []\npatchDirs: []\n")
    result = postrender(STREAM, "--overlay", str(tmp_path))
    assert result.returncode == 4
    assert b"hotfix.yaml:2:1: duplicate key 'patchDirs' (first at line 1)" in result.stderr
