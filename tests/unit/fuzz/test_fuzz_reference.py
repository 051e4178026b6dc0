"""Fuzzing the image-reference parser (``orchestrator.registry.reference.parse_reference``):
any text, with or without ``--registry``, and references put together from plausible and
hostile parts. It must return a Reference or raise ``ConfigError``; what it returns names a
host, repository, tag or digest that are each valid on their own (so nothing it accepts breaks a
URL or a message later)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.errors import ConfigError
from orchestrator.registry.reference import (
    digest_problem,
    host_problem,
    parse_reference,
    repository_problem,
)
from tests.unit.fuzz.strategies import BOUNDED, HOSTILE_TEXT, LONG

PART = st.one_of(
    st.sampled_from(["localhost:5000", "127.0.0.1:9", "docker.io", "python", "library", "x"]),
    st.text(st.sampled_from("abcXYZ019._-:/@\n \\%"), max_size=12),
    HOSTILE_TEXT,
)
DIGEST = st.one_of(
    st.just("sha256:" + "a" * 64),
    st.builds(lambda a, e: f"{a}:{e}", st.sampled_from(["sha256", "sha512", "md5", ""]), PART),
)
REFERENCE = st.builds(
    lambda host, path, tag, digest: (
        f"{host}/{path}{':' + tag if tag else ''}{'@' + digest if digest else ''}"
    ),
    PART,
    PART,
    st.none() | PART,
    st.none() | DIGEST,
)
REGISTRY = st.none() | PART


def _parse(text: str, registry: str | None) -> None:
    try:
        ref = parse_reference(text, registry)
    except ConfigError as exc:
        assert "\n" not in str(exc), "a problem is one line"
        return
    assert host_problem(ref.registry) is None or ref.registry == "registry-1.docker.io"
    assert repository_problem(ref.repository) is None
    assert ref.digest is None or digest_problem(ref.digest) is None
    assert ref.tag is None or ("\n" not in ref.tag and "/" not in ref.tag)


@BOUNDED
@given(HOSTILE_TEXT, REGISTRY)
def test_any_text(text: str, registry: str | None) -> None:
    _parse(text, registry)


@BOUNDED
@given(REFERENCE, REGISTRY)
def test_references_from_parts(text: str, registry: str | None) -> None:
    _parse(text, registry)


@pytest.mark.slow
@LONG
@given(HOSTILE_TEXT, REGISTRY)
def test_any_text_long(text: str, registry: str | None) -> None:
    _parse(text, registry)


@pytest.mark.slow
@LONG
@given(REFERENCE, REGISTRY)
def test_references_from_parts_long(text: str, registry: str | None) -> None:
    _parse(text, registry)
