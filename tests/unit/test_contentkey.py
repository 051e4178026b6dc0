"""Content keys: every input changes the key, nothing else does."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from orchestrator import contentkey
from orchestrator.contentkey import ContextFile
from orchestrator.platforms import ARCHES

BASE: dict[str, Any] = {
    "dockerfile": b"FROM buildpack-deps:bookworm\nRUN make\n",
    "context": (ContextFile("Dockerfile", False, b"FROM buildpack-deps:bookworm\nRUN make\n"),),
    "build_args": (("PYTHON_BUILD_PROFILE", "quick"),),
    "platform": ARCHES["amd64"].platform,
    "parent_digest": "sha256:" + "a" * 64,
}


def key(**change: Any) -> str:
    return contentkey.content_key(**{**BASE, **change})


def test_key_is_stable_hex() -> None:
    assert key() == key()
    assert len(key()) == 64 and int(key(), 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"dockerfile": b"FROM buildpack-deps:bookworm\nRUN make -j2\n"},
        {"context": (*BASE["context"], ContextFile("patch.diff", False, b"x"))},
        {"context": (ContextFile("Dockerfile", True, BASE["dockerfile"]),)},
        {"build_args": (("PYTHON_BUILD_PROFILE", "full"),)},
        {"build_args": ()},
        {"platform": ARCHES["i386"].platform},
        {"platform": ARCHES["arm32v6"].platform},
        {"platform": ARCHES["arm32v7"].platform},
        {"platform": ARCHES["windows-amd64"].platform.with_os_version("10.0.17763.615")},
        {"parent_digest": "sha256:" + "b" * 64},
    ],
)
def test_every_input_changes_the_key(change: dict[str, Any]) -> None:
    assert key(**change) != key()


def test_download_location_is_not_part_of_the_key() -> None:
    # The tarball is checked against its sha256 inside the build: a mirror gives the same image.
    with_mirror = (
        *BASE["build_args"],
        ("PYTHON_DOWNLOAD_BASE", "http://127.0.0.1:8088/ftp/python"),
    )
    assert key(build_args=with_mirror) == key()


def test_fields_cannot_imitate_each_other() -> None:
    one = key(dockerfile=b"ab", context=(ContextFile("c", False, b""),))
    two = key(dockerfile=b"a", context=(ContextFile("bc", False, b""),))
    assert one != two


def test_order_of_context_files_and_args_does_not_matter() -> None:
    files = (ContextFile("a", False, b"1"), ContextFile("b", False, b"2"))
    args = (("A", "1"), ("B", "2"))
    assert key(context=files, build_args=args) == key(context=files[::-1], build_args=args[::-1])


def test_context_files_reads_the_tree(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(tmp_path / "sub" / "run.sh", 0o755)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.pyc").write_bytes(b"\0")
    files = contentkey.context_files(tmp_path)
    assert [(f.path, f.executable) for f in files] == [("Dockerfile", False), ("sub/run.sh", True)]
    before = key(context=files)
    (tmp_path / "sub" / "run.sh").write_text("#!/bin/sh\necho\n")
    assert key(context=contentkey.context_files(tmp_path)) != before


def test_key_tag() -> None:
    k = key()
    assert contentkey.key_tag(k, "arm64v8") == f"build-{k[:12]}-arm64v8"
    with pytest.raises(ValueError, match="not a content key"):
        contentkey.key_tag("xyz", "amd64")


def test_platform_with_same_oci_but_other_os_version_differs() -> None:
    win = ARCHES["windows-amd64"].platform
    assert key(platform=win.with_os_version("10.0.14393.3085")) != key(
        platform=replace(win, os_version="10.0.17763.615")
    )


def test_only_cross_puts_the_strategy_into_the_key() -> None:
    # native and emulated builds of the same inputs are the same image: today's keys stay
    assert key() == "9c1d16bcf92e9104c4c298532d9d24493a42467a9b71be374a86aceb99e98e95"
    assert key(strategy="native") == key(strategy="emulate") == key(strategy=None) == key()
    assert key(strategy="cross") != key()


def test_a_cross_folder_is_not_part_of_a_context_that_skips_it(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    before = contentkey.context_files(tmp_path, skip=("cross",))
    for folder in (tmp_path / "cross", tmp_path / "arm32v7" / "cross"):
        folder.mkdir(parents=True)
        (folder / "Dockerfile").write_text("FROM --platform=$BUILDPLATFORM x\n")
    assert contentkey.context_files(tmp_path, skip=("cross",)) == before
    assert [f.path for f in contentkey.context_files(tmp_path)] == [
        "Dockerfile",
        "arm32v7/cross/Dockerfile",
        "cross/Dockerfile",
    ]
