"""One module per ``orchestrate`` subcommand.

Each module exposes ``NAME`` and ``HELP`` (its one-line help), ``add_arguments(parser)`` and
``handle(args) -> int``, the exit code; its docstring, after the first paragraph, is the
command's ``--help`` description. ``new_parser`` makes the subcommand from them. Modules raise
``OrchestratorError``; only ``orchestrator.cli.main`` catches it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, Protocol


class Command(Protocol):
    """What a subcommand module provides (the module itself is the object)."""

    NAME: str
    HELP: str
    FORMATTER: type[argparse.HelpFormatter] | None
    __doc__: str | None

    @property
    def add_arguments(self) -> Callable[[argparse.ArgumentParser], None]: ...
    @property
    def handle(self) -> Callable[[argparse.Namespace], int]: ...


def new_parser(sub: Any, command: Command) -> argparse.ArgumentParser:
    """Add ``command`` to the subparsers: its name, help, description and arguments, and its
    ``handle`` as what runs it."""
    doc = command.__doc__
    description = doc.split("\n\n", 1)[1] if doc and "\n\n" in doc else None
    extra = {"formatter_class": command.FORMATTER} if command.FORMATTER else {}
    parser: argparse.ArgumentParser = sub.add_parser(
        command.NAME, help=command.HELP, description=description, **extra
    )
    command.add_arguments(parser)
    parser.set_defaults(func=command.handle)
    return parser
