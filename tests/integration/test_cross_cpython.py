"""CPython 3.13.5 cross-built for linux/arm64/v8 on the real farm: the slim-bookworm cross
Dockerfile (build-python = the native amd64 image from the same run, Debian's cross toolchain,
the target's runtime stage under qemu), its smoke test and its conformance check (the eleven
CPython test modules of the matrix's default under qemu, the facts compared with the native
image), then published with the native amd64 image in one list.

Slow (a CPython build natively, one cross-compiled, regrtest under qemu: about 20 minutes on
2 cores), so marked ``slow``. It needs ``debian:bookworm-slim`` for arm64v8, which the test
profile does not bootstrap: the test asks the farm for it (``ORCHESTRATE_FARM_ARCHES``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from orchestrator import conformance, registry
from tests.integration.conftest import FARM_SCRIPT

REPO = Path(__file__).resolve().parents[2]
RUN_ID = uuid.uuid4().hex[:10]


@pytest.mark.slow
@pytest.mark.timeout(2 * 3600)
def test_cpython_cross_built_for_arm64_passes_its_conformance_check(
    farm: Any, tmp_path: Path
) -> None:
    subprocess.run(
        [str(FARM_SCRIPT), "up", "--profile", "test"],
        env={**os.environ, "ORCHESTRATE_FARM_ARCHES": "amd64 i386 arm64v8"},
        check=True, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    for name in ("matrix.yml", "templates", "dockerfiles"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    repo = f"orchestrate-test/cross-cpython-{RUN_ID}"
    done = subprocess.run(
        [
            sys.executable, "-m", "orchestrator.cli", "-C", str(tmp_path), "build", "3.13.5",
            "--variant", "slim-bookworm", "--arch", "amd64", "--arch", "arm64v8",
            "--strategy", "cross", "--registry", str(farm.registry), "--repository", repo,
            "--download-base", farm.source_mirror,
        ],
        capture_output=True, text=True, check=False, env={**os.environ, "CI": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    assert "Jobs of 3.13.5: 2 built" in done.stdout
    log = (tmp_path / "logs/3.13.5/3.13.5-slim-bookworm-arm64v8.log").read_text(errors="replace")
    assert "--host=aarch64-linux-gnu" in log  # really cross-compiled
    assert "imports ok: OpenSSL" in log  # the smoke test, under qemu
    tests = " ".join(conformance.DEFAULT_TESTS)
    assert f"conformance: passed (11 tests: {tests})" in log
    # all eleven ran under qemu; a slim image has no compiler, so test_ctypes' find_library
    # cases fail there and natively alike, and the check names them instead of failing
    assert "[11/11" in log
    assert "conformance: fails in the native image too: test.test_ctypes" in log
    client = registry.Client(str(farm.registry))
    listed = client.get_manifest(repo, "3.13.5-slim-bookworm").json()
    arm = next(e for e in listed["manifests"] if e["platform"]["architecture"] == "arm64")
    image = client.get_manifest(repo, arm["digest"]).json()
    config = json.loads(client.get_blob(repo, image["config"]["digest"]))
    assert config["architecture"] == "arm64"
    assert config["config"]["Labels"]["io.orchestrate.strategy"] == "cross"
    assert "PYTHON_VERSION=3.13.5" in config["config"]["Env"]
    assert config["config"]["Cmd"] == ["python3"]
