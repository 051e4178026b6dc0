from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.errors import ConfigError
from orchestrator.workspace import find_root


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "orchestrate" in capsys.readouterr().out


def test_find_root_walks_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "matrix.yml").write_text("{}\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert find_root(None) == tmp_path.resolve()


def test_find_root_names_the_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no matrix\.yml here"):
        find_root(tmp_path)
