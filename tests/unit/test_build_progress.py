"""The progress views of a build: the shared board, the event view, the live table."""

from __future__ import annotations

import io

import structlog
from rich.console import Console

from orchestrator.build import progress
from orchestrator.build.progress import State


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_board_times_a_job_from_first_activity_to_its_end() -> None:
    clock = Clock()
    board = progress.Board(["a", "b"], clock)
    assert board.elapsed("a") is None
    board.set("a", State.BUILDING)
    clock.now = 130.0
    assert board.elapsed("a") == 30.0
    board.set("a", State.SMOKE)  # still the same start
    clock.now = 190.0
    board.set("a", State.PUSHED, "sha256:x")
    clock.now = 500.0
    assert board.elapsed("a") == 90.0
    assert board.rows["b"].state is State.QUEUED


def test_event_view_logs_state_changes() -> None:
    clock = Clock()
    with structlog.testing.capture_logs() as logs:
        view = progress.EventView(["j"], clock)
        with view:
            view.update("j", State.BUILDING, "default builder")
            clock.now = 112.5
            view.update("j", State.FAILED, "build failed (exit code 1)")
    assert [(e["event"], e["log_level"]) for e in logs] == [
        ("job.building", "info"),
        ("job.failed", "error"),
    ]
    assert logs[1]["seconds"] == 12.5 and logs[1]["job"] == "j"


def test_live_table_shows_every_job() -> None:
    out = io.StringIO()
    view = progress.LiveView(["3.13.5-bookworm-amd64", "3.13.5-bookworm-i386"])
    view.board.set("3.13.5-bookworm-amd64", State.BUILDING, "default builder")
    view.board.set("3.13.5-bookworm-i386", State.SKIPPED, "unchanged")
    Console(file=out, width=120, color_system=None).print(view.board.table())
    text = out.getvalue()
    assert "3.13.5-bookworm-amd64  building" in text and "0:00" in text
    assert "3.13.5-bookworm-i386   skipped" in text and "unchanged" in text


def test_both_views_show_how_each_job_is_built() -> None:
    out = io.StringIO()
    strategies = {"3.13.5-bookworm-amd64": "native", "3.13.5-bookworm-arm64v8": "cross"}
    view = progress.LiveView(list(strategies), strategies=strategies)
    view.board.set("3.13.5-bookworm-arm64v8", State.BUILDING, "default builder")
    Console(file=out, width=120, color_system=None).print(view.board.table())
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["job", "state", "time", "strategy"]
    assert lines[1].split() == ["3.13.5-bookworm-amd64", "queued", "native"]
    assert lines[2].split()[-3:] == ["cross", "default", "builder"]
    with structlog.testing.capture_logs() as logs:
        events = progress.EventView(["j", "k"], strategies={"j": "emulate"})
        events.update("j", State.BUILDING)
        events.update("k", State.BUILDING)
    assert logs[0]["strategy"] == "emulate" and "strategy" not in logs[1]
    chosen = progress.choose(["j"], strategies={"j": "native"}, live=False)
    assert isinstance(chosen, progress.EventView) and chosen.board.strategies == {"j": "native"}


def test_format_and_choice() -> None:
    assert progress.format_seconds(5) == "0:05"
    assert progress.format_seconds(457.5) == "7:37"
    assert progress.format_seconds(7300) == "2h01m"
    assert not progress.wants_live({"CI": "1"}, io.StringIO())
    assert not progress.wants_live({}, io.StringIO())
    assert isinstance(progress.choose(["j"], live=False), progress.EventView)
