"""The PGO profile task really runs: a full-profile 3.13.5 build, its log read back.

Slow (about half an hour on the 2-core farm: a profile-generating build, regrtest's ``--pgo``
run, then the LTO build), so marked ``slow``: ``scripts/test -m "not slow"`` leaves it out.
``--no-cache`` and a repository of its own make sure the profile run happens in this test and
is not a cached layer or an image built before. The same evidence is checked on every PGO job
by the pipeline itself (``smoke.profile_evidence``); here the log is read independently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from orchestrator import smoke

REPO = Path(__file__).resolve().parents[2]
RUN_ID = uuid.uuid4().hex[:10]


@pytest.mark.slow
@pytest.mark.timeout(3 * 3600)
def test_full_profile_build_runs_the_profile_task(farm: Any, tmp_path: Path) -> None:
    for name in ("matrix.yml", "templates", "dockerfiles"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    done = subprocess.run(
        [
            sys.executable, "-m", "orchestrator.cli", "-C", str(tmp_path), "build", "3.13.5",
            "--arch", "amd64", "--variant", "bookworm", "--profile", "full", "--no-cache",
            "--registry", str(farm.registry), "--repository", f"orchestrate-test/pgo-{RUN_ID}",
            "--download-base", farm.source_mirror,
            "--push-by-digest", "--results", str(tmp_path / "out" / "amd64.json"),
        ],
        capture_output=True, text=True, check=False, env={**os.environ, "CI": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    log = (tmp_path / "logs/3.13.5/3.13.5-bookworm-amd64.log").read_text(errors="replace")
    evidence = smoke.profile_evidence(log)
    assert evidence.configured  # ./configure … --enable-optimizations --with-lto
    assert evidence.ran and evidence.tests >= 10
    assert evidence.task is not None and evidence.task.startswith("-m test --pgo")
    assert not evidence.empty_task
    assert "PROFILE_TASK=" not in log  # no profile task in the matrix: make gets none at all
