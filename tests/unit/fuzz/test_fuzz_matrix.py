"""Fuzzing the matrix loader: hostile YAML text, hostile structures, and the real matrix.yml
changed at random (values replaced, keys removed or added, text cut and spliced). ``loads``
must return a Matrix or raise ``ConfigError``; nothing else, and no example may hang. A changed
matrix that loads is also rendered with the real templates (in memory): a value the schema let
through must not break a template either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from orchestrator import matrix, render
from orchestrator.matrix.loader import decode
from tests.unit.fuzz.strategies import (
    BOUNDED,
    HOSTILE_TEXT,
    LONG,
    Mutation,
    mutate,
    mutations,
    only_our_errors,
    values,
)

REPO = Path(__file__).resolve().parents[3]
REAL_TEXT = (REPO / "matrix.yml").read_text(encoding="utf-8")
REAL = yaml.safe_load(REAL_TEXT)


def _load_text(text: str, *, and_render: bool = False) -> None:
    def parse() -> None:
        m = matrix.loads(text)
        if and_render:
            render.render_all(m, REPO)

    only_our_errors(parse)


def _load_bytes(data: bytes) -> None:
    only_our_errors(lambda: matrix.loads(decode(data, "matrix.yml")))


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000)


def _load_structure(doc: Any, *, and_render: bool = False) -> None:
    try:
        text = _dump(doc)
    except (yaml.YAMLError, ValueError, OverflowError):
        return  # not representable as YAML: nothing for the loader to read
    _load_text(text, and_render=and_render)


def _load_real_mutated(changes: list[Mutation]) -> None:
    _load_structure(mutate(REAL, changes), and_render=True)


def _splice(cut: tuple[int, int], insert: str) -> None:
    start, length = cut
    start %= len(REAL_TEXT)
    _load_text(REAL_TEXT[:start] + insert + REAL_TEXT[start + length :], and_render=True)


TEXT = HOSTILE_TEXT
YAMLISH = st.lists(
    st.sampled_from(
        [
            "a:",
            " b:",
            "  - x",
            "- [",
            "]",
            "{",
            "}",
            "&a",
            "*a",
            "<<: *a",
            "? [1]",
            ": 1",
            "!!int x",
            "!!binary =",
            "'",
            '"',
            "|",
            ">",
            "---",
            "...",
            "%YAML 1.1",
            "\t",
        ]
    ),
    max_size=30,
).map("\n".join)
CUT = st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=80))


@BOUNDED
@given(TEXT)
def test_any_text(text: str) -> None:
    _load_text(text)


@BOUNDED
@given(YAMLISH)
def test_yaml_syntax_soup(text: str) -> None:
    _load_text(text)


@BOUNDED
@given(st.binary(max_size=300))
def test_any_bytes(data: bytes) -> None:
    _load_bytes(data)


@BOUNDED
@given(values())
def test_any_structure(doc: Any) -> None:
    _load_structure(doc)


@BOUNDED
@given(mutations(REAL, values()))
def test_the_real_matrix_changed(changes: list[Mutation]) -> None:
    _load_real_mutated(changes)


@BOUNDED
@given(CUT, HOSTILE_TEXT)
def test_the_real_text_spliced(cut: tuple[int, int], insert: str) -> None:
    _splice(cut, insert)


@pytest.mark.slow
@LONG
@given(TEXT)
def test_any_text_long(text: str) -> None:
    _load_text(text)


@pytest.mark.slow
@LONG
@given(YAMLISH)
def test_yaml_syntax_soup_long(text: str) -> None:
    _load_text(text)


@pytest.mark.slow
@LONG
@given(values())
def test_any_structure_long(doc: Any) -> None:
    _load_structure(doc)


@pytest.mark.slow
@LONG
@given(mutations(REAL, values()))
def test_the_real_matrix_changed_long(changes: list[Mutation]) -> None:
    _load_real_mutated(changes)


@pytest.mark.slow
@LONG
@given(CUT, HOSTILE_TEXT)
def test_the_real_text_spliced_long(cut: tuple[int, int], insert: str) -> None:
    _splice(cut, insert)
