"""Test-wide fixtures.

Unit tests (``tests/unit``) must never start a process or talk to a Docker engine: an autouse
fixture makes ``subprocess.Popen`` raise, so a unit test that would reach a real tool (the
product reaches the engine only through the ``docker`` CLI, via ``orchestrator.proc``) fails
loudly instead of building something by accident.
Integration tests (``tests/integration``) run against the real farm; a unit test marked
``real_processes`` may start cheap real processes (``sys.executable -c …``) but no engine.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


class NoProcessesInUnitTests(AssertionError):
    pass


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise NoProcessesInUnitTests(
        f"a unit test tried to start a process or reach an engine: {args!r:.200}"
    )


@pytest.fixture(autouse=True)
def _no_engine_in_unit_tests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    if "integration" in request.keywords or "real_processes" in request.keywords:
        yield
        return
    monkeypatch.setattr(subprocess, "Popen", _refuse)
    yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.integration)
