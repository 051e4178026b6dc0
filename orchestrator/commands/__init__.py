"""One module per ``orchestrate`` subcommand.

Each module exposes ``add_parser(subparsers)``, which adds its subcommand with ``new_parser``,
and ``handle(args) -> int``, the exit code. Modules raise ``OrchestratorError``; only
``orchestrator.cli.main`` catches it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def new_parser(
    sub: Any,
    handle: Callable[[argparse.Namespace], int],
    *,
    name: str,
    help: str,
    doc: str | None,
    **kwargs: Any,
) -> argparse.ArgumentParser:
    """Add subcommand ``name``: its one-line ``help``, a description (``doc``, the command
    module's docstring, after its first paragraph) and ``handle`` as what runs it."""
    description = doc.split("\n\n", 1)[1] if doc and "\n\n" in doc else None
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=description, **kwargs
    )
    parser.set_defaults(func=handle)
    return parser
