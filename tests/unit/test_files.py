from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError, WriteFailed
from orchestrator.files import parse_json, read_json, write_atomic


def test_writes_text_and_bytes_with_plain_permissions(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out.md"
    write_atomic(target, "héllo\n")
    assert target.read_bytes() == "héllo\n".encode()
    write_atomic(target, b"\x00bytes", fsync=True)
    assert target.read_bytes() == b"\x00bytes"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.md"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")
    (tmp_path / "sub").mkdir()
    with pytest.raises(WriteFailed, match=r"sub: cannot write: Is a directory") as info:
        write_atomic(tmp_path / "sub", "new\n")  # a directory where the file should be
    assert isinstance(info.value.__cause__, IsADirectoryError)
    assert info.value.exit_code == 3
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "sub"]


@pytest.mark.parametrize(
    ("raw", "what", "expected"),
    [
        (b'{\n"a": 1,\n}', "", "f.json:3: not JSON: Expecting property name"),
        (b'{\n"\xff": 1}', "docker config", "f.json:2: docker config: not UTF-8 text"),
        ("[" * 100_000, "", "f.json: not JSON this program reads: nested too deep"),
        ("1" * 5000, "", "f.json: not JSON this program reads: Exceeds the limit (4300 digits)"),
    ],
)
def test_parse_json_names_the_place_of_each_failure(
    raw: str | bytes, what: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_json(raw, "f.json", what)
    assert str(caught.value).startswith(expected), str(caught.value)


def test_read_json_leaves_a_missing_file_to_the_caller_and_locates_the_rest(tmp_path: Path) -> None:
    assert read_json(_write(tmp_path / "ok.json", '{"a": [1]}')) == {"a": [1]}
    with pytest.raises(FileNotFoundError):
        read_json(tmp_path / "none.json")
    with pytest.raises(ConfigError, match=r"d: cannot read the run record: Is a directory"):
        read_json(_mkdir(tmp_path / "d"), "run record")


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path
