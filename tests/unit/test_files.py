from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from orchestrator.errors import WriteFailed
from orchestrator.files import write_atomic


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
