"""What orchestrate reads of the local farm: its directory and the CPython source mirror."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator import farm


def test_farm_download_base_needs_state_and_an_answer(tmp_path: Path) -> None:
    assert farm.source_mirror(tmp_path) is None  # no state file
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "sources.json").write_text("{not json")
    assert farm.source_mirror(tmp_path) is None
    # A mirror recorded but not answering (nothing listens on port 9 here): not used.
    (tmp_path / "state" / "sources.json").write_text(json.dumps({"url": "http://127.0.0.1:9"}))
    assert farm.source_mirror(tmp_path) is None


def test_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ORCHESTRATE_FARM_DIR", raising=False)
    assert farm.directory() == Path("/var/lib/orchestrate-farm")
    monkeypatch.setenv("ORCHESTRATE_FARM_DIR", str(tmp_path))
    assert farm.directory() == tmp_path
    assert farm.source_mirror() is None  # an empty farm directory: no mirror
