"""Reading a Dockerfile: its stages' base images (per platform) and its declared ARGs."""

from __future__ import annotations

from pathlib import Path

from orchestrator import dockerfile
from orchestrator.platforms import ARCHES, Platform

REPO = Path(__file__).resolve().parents[2]
ARM32V7 = ARCHES["arm32v7"].platform
PARENT = "buildpack-deps:bookworm"


def test_declared_args() -> None:
    text = "FROM x\nARG PYTHON_DOWNLOAD_BASE=https://www.python.org/ftp/python\n  ARG B\n"
    assert dockerfile.declared_args(text) == {"PYTHON_DOWNLOAD_BASE", "B"}


def test_base_images_of_every_stage() -> None:
    tiny = (REPO / "tests/data/build-family/templates/tiny/debian.Dockerfile.j2").read_text()

    def bases(text: str) -> tuple[tuple[str, Platform], ...]:
        return dockerfile.base_images(text, target=ARM32V7, parent=PARENT)

    assert bases(tiny) == (("debian:bookworm-slim", dockerfile.BUILD_PLATFORM),)
    text = "FROM buildpack-deps:bookworm\nRUN x\n"
    assert bases(text) == (("buildpack-deps:bookworm", ARM32V7),)
    multi = "FROM a:1 AS one\nFROM one\nfrom --platform=linux/amd64 b:2 as two\nFROM scratch\n"
    assert bases(multi) == (("a:1", ARM32V7), ("b:2", ARM32V7))
    assert bases("") == (("buildpack-deps:bookworm", ARM32V7),)


def test_a_from_naming_a_global_arg_is_read_with_its_default() -> None:
    text = (
        "ARG BUILD_PYTHON=build-python-native\nARG BASE=debian:bookworm\n"
        "FROM --platform=$BUILDPLATFORM debian:bookworm-slim AS build-python-native\n"
        "ARG LATER=ignored:1\n"
        "FROM --platform=$BUILDPLATFORM ${BUILD_PYTHON} AS build-python\n"
        "FROM $BASE\nFROM ${UNSET}\n"
    )
    assert dockerfile.global_args(text) == {
        "BUILD_PYTHON": "build-python-native",
        "BASE": "debian:bookworm",
    }
    assert dockerfile.base_images(text, target=ARM32V7, parent=PARENT) == (
        ("debian:bookworm-slim", dockerfile.BUILD_PLATFORM),
        ("debian:bookworm", ARM32V7),
        ("${UNSET}", ARM32V7),
    )


def test_from_lines_keep_platform_and_stage_name() -> None:
    text = "FROM --platform=$BUILDPLATFORM a:1 AS build\nFROM scratch\n"
    lines = dockerfile.from_lines(text)
    assert lines == (
        dockerfile.From("a:1", "$BUILDPLATFORM", "build"),
        dockerfile.From("scratch", "", ""),
    )
    assert lines[0].on_build_platform and not lines[1].on_build_platform
    assert dockerfile.base_images("FROM scratch\n", target=ARM32V7, parent=PARENT) == ()
