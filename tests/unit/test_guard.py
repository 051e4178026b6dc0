from __future__ import annotations

import subprocess

import pytest

from orchestrator import proc
from tests.conftest import NoProcessesInUnitTests


def test_unit_tests_cannot_start_processes() -> None:
    with pytest.raises(NoProcessesInUnitTests):
        subprocess.run(["true"], check=False)
    with pytest.raises(NoProcessesInUnitTests):
        proc.run_command(["true"])
