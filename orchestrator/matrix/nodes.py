"""The values of a matrix.yml document that remember where they were written.

The loader (``orchestrator.matrix.loader``) builds every mapping as an ``LMap`` and every
sequence as an ``LList``; the checker reads them and reports each problem at its line.
"""

from __future__ import annotations

from typing import Any


class LMap(dict[Any, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class LList(list[Any]):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


def kind_of(value: object) -> str:
    """What a value is, for messages: ``a mapping``, ``a list``, ``a number``, ``nothing``…"""
    if isinstance(value, LMap):
        return "a mapping"
    if isinstance(value, LList):
        return "a list"
    if value is None:
        return "nothing"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), type(value).__name__
    )
