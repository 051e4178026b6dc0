"""How long the registry client waits for a registry: to connect, for each read, and for one
whole operation (every attempt and every wait between them), settable through the environment.

A registry that accepts connections and never answers is given up on after ``total`` seconds;
one that refuses connections (or never accepts them) after ``unreachable`` seconds. Defaults:
connect 5 s, read 15 s, total 30 s, unreachable 5 s. ``ORCHESTRATE_REGISTRY_TIMEOUTS`` changes
any of them, e.g. ``connect=2,read=5,total=10,unreachable=2``; a bad value is a ``ConfigError``
naming the variable. No I/O.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from orchestrator import retrying
from orchestrator.errors import ConfigError, printable

ENV = "ORCHESTRATE_REGISTRY_TIMEOUTS"
MAX_SECONDS = 3600.0
# An attempt started just before the deadline still gets this long to connect and answer.
MIN_ATTEMPT = 0.1


@dataclass(frozen=True)
class Timeouts:
    """Seconds the client waits: ``connect`` for a connection, ``read`` between two reads of
    an answer, ``total`` for one operation with its retries, ``unreachable`` for retrying a host
    that cannot be reached at all (a refused connection or a connect timeout)."""

    connect: float = 5.0
    read: float = 15.0
    total: float = 30.0
    unreachable: float = 5.0

    def policy(self, base: retrying.Policy) -> retrying.Policy:
        """``base`` bounded by these deadlines (a tighter one of ``base`` is kept)."""
        return replace(
            base,
            deadline=_tighter(base.deadline, self.total),
            unreachable_deadline=_tighter(base.unreachable_deadline, self.unreachable),
        )

    def attempt(self, left: float) -> tuple[float, float]:
        """``(connect, read)`` timeouts of an attempt with ``left`` seconds of the operation
        left: never past its deadline."""
        left = max(MIN_ATTEMPT, left)
        return min(self.connect, left), min(self.read, left)

    def describe(self) -> str:
        return ",".join(f"{f.name}={getattr(self, f.name):g}" for f in fields(self))


def _tighter(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)


def from_env(env: Mapping[str, str] | None = None) -> Timeouts:
    """The defaults, changed by ``$ORCHESTRATE_REGISTRY_TIMEOUTS`` (``key=seconds,…``)."""
    text = (os.environ if env is None else env).get(ENV, "").strip()
    if not text:
        return Timeouts()
    known = [f.name for f in fields(Timeouts)]
    values: dict[str, float] = {}
    problems: list[str] = []
    for item in text.split(","):
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or key not in known:
            problems.append(
                f"{ENV}: {printable(item.strip())!r} is not KEY=SECONDS with KEY one of "
                + ", ".join(known)
            )
            continue
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if not (0 < seconds <= MAX_SECONDS):  # also false for NaN
            problems.append(
                f"{ENV}: {key}={printable(value)!r} is not a number of seconds "
                f"(more than 0, at most {MAX_SECONDS:g})"
            )
            continue
        values[key] = seconds
    if problems:
        raise ConfigError(problems)
    return Timeouts(**values)
