"""Progress of a build run: a live table at a terminal, structured log events elsewhere.

At a terminal (and ``CI`` unset) a rich ``Live`` table shows each job with its state (queued,
building with elapsed time, smoke test, pushing, pushed, skipped, failed, not built) and how it
is built (native, emulate, cross). When not a terminal, or under CI, every state change is a
structlog event (``job.building``, ``job.pushed`` … with ``job=`` and ``strategy=``), which
``log.configure`` renders as JSON under CI.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Protocol

import structlog
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

log = structlog.get_logger(__name__)


class State(StrEnum):
    QUEUED = "queued"
    BUILDING = "building"
    SMOKE = "smoke test"
    CONFORMANCE = "conformance"
    PUSHING = "pushing"
    PUSHED = "pushed"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_BUILT = "not built"


FINAL = frozenset({State.PUSHED, State.SKIPPED, State.FAILED, State.NOT_BUILT})
ACTIVE = frozenset({State.BUILDING, State.SMOKE, State.CONFORMANCE, State.PUSHING})

_STYLE = {
    State.QUEUED: "dim",
    State.BUILDING: "yellow",
    State.SMOKE: "yellow",
    State.CONFORMANCE: "yellow",
    State.PUSHING: "yellow",
    State.PUSHED: "green",
    State.SKIPPED: "cyan",
    State.FAILED: "bold red",
    State.NOT_BUILT: "red",
}


class ProgressView(Protocol):
    """What a run tells about its jobs as their states change (``EventView``, ``LiveView``)."""

    def __enter__(self) -> ProgressView: ...
    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def update(self, job_id: str, state: State, detail: str = "") -> None: ...


class ViewFactory(Protocol):
    """Makes the view of a run's jobs (``choose``; tests pass ``EventView``)."""

    def __call__(
        self, job_ids: Sequence[str], *, strategies: Mapping[str, str] | None = None
    ) -> ProgressView: ...


@dataclass
class _Row:
    state: State = State.QUEUED
    detail: str = ""
    started: float | None = None
    finished: float | None = None


@dataclass
class Board:
    """The state of every job, with the time each started and how it is built; shared by both
    views."""

    job_ids: Sequence[str]
    clock: Callable[[], float] = time.monotonic
    rows: dict[str, _Row] = field(default_factory=dict)
    strategies: Mapping[str, str] = field(default_factory=dict)  # job id → native|emulate|cross

    def __post_init__(self) -> None:
        self.rows = {j: _Row() for j in self.job_ids}
        self._lock = threading.Lock()

    def set(self, job_id: str, state: State, detail: str = "") -> _Row:
        with self._lock:
            row = self.rows.setdefault(job_id, _Row())
            now = self.clock()
            if state in ACTIVE and row.started is None:
                row.started = now
            if state in FINAL:
                row.finished = now
            row.state, row.detail = state, detail
            return row

    def elapsed(self, job_id: str) -> float | None:
        row = self.rows[job_id]
        if row.started is None:
            return None
        end = row.finished if row.finished is not None else self.clock()
        return end - row.started

    def table(self) -> Table:
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("job")
        table.add_column("state")
        table.add_column("time", justify="right")
        table.add_column("strategy")
        table.add_column("")
        for job_id in self.rows:
            row = self.rows[job_id]
            seconds = self.elapsed(job_id)
            table.add_row(
                job_id,
                Text(str(row.state), style=_STYLE[row.state]),
                format_seconds(seconds) if seconds is not None else "",
                self.strategies.get(job_id, ""),
                row.detail,
            )
        return table

    def __rich__(self) -> Table:
        return self.table()


def format_seconds(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


class EventView:
    """State changes as structlog events (``job.<state>``)."""

    def __init__(
        self,
        job_ids: Sequence[str],
        clock: Callable[[], float] = time.monotonic,
        strategies: Mapping[str, str] | None = None,
    ):
        self.board = Board(job_ids, clock, strategies=strategies or {})

    def __enter__(self) -> EventView:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def update(self, job_id: str, state: State, detail: str = "") -> None:
        self.board.set(job_id, state, detail)
        seconds = self.board.elapsed(job_id) if state in FINAL else None
        event = "job." + state.value.replace(" ", "_")
        level = log.error if state == State.FAILED else log.info
        fields: dict[str, object] = {"job": job_id}
        if job_id in self.board.strategies:
            fields["strategy"] = self.board.strategies[job_id]
        if detail:
            fields["detail"] = detail
        if seconds is not None:
            fields["seconds"] = round(seconds, 1)
        level(event, **fields)


class LiveView:
    """A rich live table, refreshed a few times a second (elapsed times keep moving)."""

    def __init__(
        self,
        job_ids: Sequence[str],
        console: Console | None = None,
        strategies: Mapping[str, str] | None = None,
    ):
        self.board = Board(job_ids, strategies=strategies or {})
        self.console = console or Console(stderr=True)
        self._live = Live(self.board, console=self.console, refresh_per_second=2, transient=False)

    def __enter__(self) -> LiveView:
        self._live.__enter__()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._live.__exit__(et, e, tb)

    def update(self, job_id: str, state: State, detail: str = "") -> None:
        self.board.set(job_id, state, detail)


def wants_live(env: Mapping[str, str] | None = None, stream: object = None) -> bool:
    """A live view only at a terminal and outside CI."""
    env = os.environ if env is None else env
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return not env.get("CI") and bool(isatty and isatty())


def choose(
    job_ids: Sequence[str],
    *,
    strategies: Mapping[str, str] | None = None,
    live: bool | None = None,
) -> ProgressView:
    """The live table at a terminal (``wants_live``), the event view elsewhere."""
    if wants_live() if live is None else live:
        return LiveView(job_ids, strategies=strategies)
    return EventView(job_ids, strategies=strategies)
