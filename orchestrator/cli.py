"""The ``orchestrate`` command line: parse, configure logging, dispatch, choose the exit code.

This is the one place that catches ``OrchestratorError`` and turns it into a message on
stderr and the error's own exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from orchestrator import __version__
from orchestrator import log as logsetup
from orchestrator.errors import ConfigError, OrchestratorError

# Subcommand modules under orchestrator.commands, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = ("render", "plan", "build", "report", "manifest")


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
    for name in COMMANDS:
        module = importlib.import_module(f"orchestrator.commands.{name}")
        module.add_parser(sub)
    return parser


def find_root(start: Path | None) -> Path:
    """The repository root: ``start`` if given, else the nearest parent with matrix.yml."""
    if start is not None:
        if not (start / "matrix.yml").is_file():
            raise ConfigError(f"{start}: no matrix.yml here")
        return start.resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "matrix.yml").is_file():
            return candidate
    raise ConfigError(f"{here}: no matrix.yml here or in any parent directory (use -C DIR)")


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
