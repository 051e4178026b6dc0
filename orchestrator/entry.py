"""The ``orchestrate`` console script: Ctrl-C while the program is still loading exits 130.

Python turns SIGINT into ``KeyboardInterrupt`` wherever it lands. Loading the command line
(``orchestrator.cli`` and everything it imports) takes most of a second, and an interrupt in
that time would end in a traceback of some import: nothing is there yet to catch it. This module
imports nothing of orchestrate at import time; it answers SIGINT by exiting 130 at once (nothing
has been written yet), until ``cli.main`` takes SIGINT back as ``KeyboardInterrupt``, which it
handles itself (also 130). When ``cli.main`` has returned (its output flushed), SIGINT again
exits 130 at once: the interpreter's own exit is no place for a ``KeyboardInterrupt`` either.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

INTERRUPTED = 130


def _interrupted(signum: int, frame: FrameType | None) -> None:
    try:
        os.write(2, b"orchestrate: interrupted\n")
    finally:
        os._exit(INTERRUPTED)


# A SIGINT the parent chose to ignore (a background job of a script) stays ignored.
if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted)


def main() -> int:
    """Load the command line, then run it (``cli.main`` handles SIGINT from its first line)."""
    from orchestrator import cli  # noqa: PLC0415 - the slow import, made after the handler

    code = cli.main()
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted)
    return code
