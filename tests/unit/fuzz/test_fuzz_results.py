"""Fuzzing the results-file parser (``orchestrator.results.loads``): any text, any JSON value,
and a good results file changed at random. It must return the results or raise
``ConfigError``; and what it returns must be what the file says, checked (a digest of 64 hex
digits, finite seconds)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator import oci, results
from orchestrator.errors import ConfigError
from tests.unit.fuzz.strategies import (
    BOUNDED,
    HOSTILE_TEXT,
    JSON_VALUES,
    LONG,
    Mutation,
    mutate,
    mutations,
)

GOOD = json.loads(
    (Path(__file__).resolve().parents[2] / "data" / "results" / "good-amd64.json").read_text()
)


def _parse(text: str) -> None:
    try:
        version, entries = results.loads(text, where="out/x.json")
    except ConfigError as exc:
        assert all(p.startswith("out/x.json") for p in exc.problems), exc.problems
        return
    assert isinstance(version, str) and version
    for r in entries:
        assert r.digest is None or oci.is_sha256_digest(r.digest)
        assert r.seconds is None or (math.isfinite(r.seconds) and r.seconds >= 0)
        assert isinstance(r.status, results.JobStatus)


def _dump(doc: Any) -> str:
    return json.dumps(doc, allow_nan=True)


TEXT = st.one_of(
    HOSTILE_TEXT, st.text(st.sampled_from('{}[]":,0123456789.eE-+ tfnul\\'), max_size=80)
)
CHANGED = mutations(GOOD, JSON_VALUES)


@BOUNDED
@given(TEXT)
def test_any_text(text: str) -> None:
    _parse(text)


@BOUNDED
@given(JSON_VALUES)
def test_any_json(doc: Any) -> None:
    _parse(_dump(doc))


@BOUNDED
@given(CHANGED)
def test_a_good_file_changed(changes: list[Mutation]) -> None:
    _parse(_dump(mutate(GOOD, changes)))


@pytest.mark.slow
@LONG
@given(TEXT)
def test_any_text_long(text: str) -> None:
    _parse(text)


@pytest.mark.slow
@LONG
@given(JSON_VALUES)
def test_any_json_long(doc: Any) -> None:
    _parse(_dump(doc))


@pytest.mark.slow
@LONG
@given(CHANGED)
def test_a_good_file_changed_long(changes: list[Mutation]) -> None:
    _parse(_dump(mutate(GOOD, changes)))
