"""Fixtures the unit tests share: the repository's real matrix.yml, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator import matrix

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def m() -> matrix.Matrix:
    """The real ``matrix.yml`` of this repository (what every golden and seed test is about)."""
    return matrix.load(REPO / "matrix.yml")
