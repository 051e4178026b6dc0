"""Fixtures the unit tests share: the repository's real matrix.yml, a copy of the repository to
render into, and a fresh logging configuration for every test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from orchestrator import matrix

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def m() -> matrix.Matrix:
    """The real ``matrix.yml`` of this repository (what every golden and seed test is about)."""
    return matrix.load(REPO / "matrix.yml")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the repository's matrix and templates (render writes under it)."""
    shutil.copy(REPO / "matrix.yml", tmp_path / "matrix.yml")
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    return tmp_path


@pytest.fixture(autouse=True)
def _fresh_log_config() -> Iterator[None]:
    # A test that ran cli.main under capsys leaves structlog printing to a closed stream; every
    # test starts and ends with structlog's defaults.
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
