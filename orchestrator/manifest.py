"""Temporary alias of ``orchestrator.policy`` (the tag-publishing policy, renamed from here).

Only ``orchestrator/pipeline.py`` and ``tests/unit/test_pipeline.py`` still import this name;
they are being changed on other branches. Once both import ``orchestrator.policy``, delete this
module and its line in ``pyproject.toml``'s import-linter contract. Nothing new may import it.
"""

from __future__ import annotations

from orchestrator.policy import (
    Decision,
    ListEntry,
    Missing,
    TagOutcome,
    check_results,
    decide,
    failed,
    summary_lines,
)

__all__ = [
    "Decision",
    "ListEntry",
    "Missing",
    "TagOutcome",
    "check_results",
    "decide",
    "failed",
    "summary_lines",
]
