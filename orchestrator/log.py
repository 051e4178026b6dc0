"""Logging set-up: structlog, configured once by ``cli.main`` (never at import time).

At a terminal events are rendered for humans; with ``CI`` set (or ``--log-format json``) they
are one JSON object per line, so CI logs can be searched by ``job=`` and ``event=``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Literal

import structlog

LogFormat = Literal["auto", "console", "json"]


def wants_json(fmt: LogFormat = "auto") -> bool:
    if fmt == "auto":
        return bool(os.environ.get("CI")) or not sys.stderr.isatty()
    return fmt == "json"


class _CurrentStderr:
    """A file-like object that writes to whatever ``sys.stderr`` is at write time.

    structlog's PrintLogger keeps the file it was given; binding the real stream at configure
    time would leave loggers writing to a closed stream after ``sys.stderr`` is swapped (as
    pytest's capture does between tests, or a progress view does while it owns the terminal).
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure(verbosity: int = 0, fmt: LogFormat = "auto") -> None:
    """Route structlog events to stderr: level INFO (``-v``: DEBUG, ``-q``: WARNING)."""
    level = logging.DEBUG if verbosity > 0 else logging.WARNING if verbosity < 0 else logging.INFO
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if wants_json(fmt)
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
