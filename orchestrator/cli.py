"""The ``orchestrate`` command line: parse, configure logging, dispatch, choose the exit code.

This is the one place that catches ``OrchestratorError`` and turns it into a message on
stderr and the error's own exit code (``--debug`` adds the traceback). It also owns the two
ways a run ends that are not errors of the product: Ctrl-C (``KeyboardInterrupt``, 130; SIGINT
is taken back from ``orchestrator.entry`` first thing) and a reader of standard output that went
away (``orchestrate plan … | head -1``: quietly 141, as a program killed by SIGPIPE). Standard
output is written through ``GuardedStdout``, so a full or closed one is a ``WriteFailed`` (3)
with a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from orchestrator import __version__
from orchestrator import log as logsetup
from orchestrator.commands import Command, build, manifest, new_parser, plan, render, report
from orchestrator.errors import OrchestratorError, WriteFailed

# The subcommands, in the order ``--help`` lists them: a static table, so the import graph
# (and the layers contract over it) sees every command.
COMMANDS: tuple[Command, ...] = (render, plan, build, report, manifest)

INTERRUPTED = 130
READER_GONE = 141  # 128 + SIGPIPE: what a shell reports for a program its pipe reader closed


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
    parser.add_argument(
        "--debug",
        action="store_true",
        help="print the traceback of an error too (for a bug report)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        new_parser(sub, command)
    return parser


class ReaderGone(Exception):
    """Standard output's reader closed the pipe: stop writing, end quietly."""


class GuardedStdout:
    """Standard output for the commands: a write that fails is a ``WriteFailed`` naming
    standard output (a full disk, a closed descriptor), and a closed pipe is ``ReaderGone``."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream

    def _guard(self, step: Callable[[TextIO], Any]) -> Any:
        if self.stream is None:
            raise WriteFailed("cannot write to standard output: it is closed")
        try:
            return step(self.stream)
        except BrokenPipeError:
            raise ReaderGone from None
        except (OSError, ValueError) as exc:  # ValueError: the stream was closed
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise WriteFailed(f"cannot write to standard output: {why}") from exc

    def write(self, text: str) -> int:
        written: int = self._guard(lambda s: s.write(text))
        return written

    def flush(self) -> None:
        self._guard(lambda s: s.flush())

    def isatty(self) -> bool:
        return self.stream is not None and self.stream.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextlib.contextmanager
def guarded_stdout() -> Iterator[GuardedStdout]:
    """``sys.stdout`` is a ``GuardedStdout`` inside; everything written is flushed on the way
    out, so a failing write is seen here and not when the interpreter exits."""
    real = sys.stdout
    guarded = GuardedStdout(real)
    sys.stdout = guarded
    try:
        yield guarded
        guarded.flush()
    finally:
        sys.stdout = real


def _discard_stdout() -> None:
    """Point the process's standard output at /dev/null, so the interpreter's last flush of
    what could not be written does not fail again (and print) at exit."""
    stream = sys.__stdout__
    if stream is None or sys.stdout is not stream:
        return  # not the process's own (a test's capture): nothing is flushed at exit
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    command = "?"
    debug = False
    try:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
        ):  # from orchestrator.entry's "exit 130 at once" back to KeyboardInterrupt
            signal.signal(signal.SIGINT, signal.default_int_handler)
        parser = build_parser()
        args = parser.parse_args(argv)
        command, debug = args.command, args.debug
        logsetup.configure(args.verbose - args.quiet, args.log_format)
        func: Callable[[argparse.Namespace], int] = args.func
        with guarded_stdout():
            return func(args)
    except OrchestratorError as exc:
        if isinstance(exc, WriteFailed):
            _discard_stdout()
        if debug:
            traceback.print_exc()
        print(f"orchestrate {command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        print(f"orchestrate {command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except ReaderGone:
        _discard_stdout()
        return READER_GONE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
