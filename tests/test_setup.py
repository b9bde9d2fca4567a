"""The first-run set-up: tools/llama_build.sh compiles the bundled model's runtime in the background while
`make run` serves the app, and `make test` waits for it. A build that fails says so and where its log is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "tools" / "llama_build.sh"


def run_script(
    venv: Path, *args: str, version: str = "0.0.0", timeout: float = 300, cache: Path | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "VENV": str(venv), "LLAMA_CPP_VERSION": version}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT, check=False
    )


def test_the_installed_runtime_is_reported_and_nothing_is_started():
    venv = Path(sys.prefix)  # the test environment has llama-cpp-python
    assert run_script(venv, "status").stdout.strip() == "installed"
    assert run_script(venv, "start").stdout == ""  # nothing to build


def test_the_runtime_is_built_portable_without_the_amx_kernels():
    """A build tuned to a Sapphire Rapids CPU compiles ggml's AMX kernels, which crashed our CI in the first
    decode (ggml-org/llama.cpp#20824); the wheel is built for AVX2 and runs on any x86-64-v3 machine."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    assert "AVX2 = 1" in info, info
    assert "AMX" not in info and "AVX512" not in info, info


def test_a_build_that_fails_is_reported_with_its_log(tmp_path):
    venv = tmp_path / "venv"  # a fresh environment without llama-cpp-python
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    assert run_script(venv, "status").stdout.strip() == "absent"
    # No such release: the background build fails fast (pip finds no llama-cpp-python 0.0.0, or no pip).
    waited = run_script(venv, "wait", cache=tmp_path / "cache")
    assert "compiling llama.cpp in the background" in waited.stdout
    assert waited.returncode == 1
    assert f"the full log is {venv}/llama-build.log" in waited.stdout
    assert (venv / "llama-build.log").read_text().strip(), "the log says what failed"
    assert run_script(venv, "status").stdout.strip() == "failed"


def test_unknown_command_is_a_usage_error(tmp_path):
    done = run_script(tmp_path, "compile")
    assert done.returncode == 2 and "usage:" in done.stderr
