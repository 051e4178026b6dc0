"""The ``orchestrate`` command line: parse, configure logging, dispatch, choose the exit code.

This is the one place that catches ``OrchestratorError`` and turns it into a message on
stderr and the error's own exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from orchestrator import __version__
from orchestrator import log as logsetup
from orchestrator.commands import Command, build, manifest, new_parser, plan, render, report
from orchestrator.errors import OrchestratorError

# The subcommands, in the order ``--help`` lists them: a static table, so the import graph
# (and the layers contract over it) sees every command.
COMMANDS: tuple[Command, ...] = (render, plan, build, report, manifest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orchestrate",
        description="Render, plan, build, publish and report multi-architecture Python images.",
    )
    parser.add_argument("--version", action="version", version=f"orchestrate {__version__}")
    parser.add_argument(
        "-C",
        "--root",
        type=Path,
        default=None,
        help="repository root holding matrix.yml (default: the nearest parent of the "
        "current directory that has one)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="less log output")
    parser.add_argument(
        "--log-format",
        choices=("auto", "console", "json"),
        default="auto",
        help="log events for humans or as JSON lines (auto: JSON when CI is set or not a tty)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        new_parser(sub, command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logsetup.configure(args.verbose - args.quiet, args.log_format)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except OrchestratorError as exc:
        print(f"orchestrate {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"orchestrate {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
