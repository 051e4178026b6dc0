from __future__ import annotations

import io
import json
import sys

import pytest
import structlog

from orchestrator import log


def test_events_follow_the_current_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    log.configure(0, "json")
    structlog.get_logger("t").info("one", job="a")
    first.close()  # what pytest's capture does to a stream between tests
    monkeypatch.setattr(sys, "stderr", second)
    structlog.get_logger("t").info("two", job="b")
    event = json.loads(second.getvalue())
    assert event["event"] == "two"
    assert event["job"] == "b"
    assert event["level"] == "info"


def test_quiet_drops_info(monkeypatch: pytest.MonkeyPatch) -> None:
    sink = io.StringIO()
    monkeypatch.setattr(sys, "stderr", sink)
    log.configure(-1, "json")
    structlog.get_logger("t").info("hidden")
    structlog.get_logger("t").warning("shown")
    assert "hidden" not in sink.getvalue()
    assert "shown" in sink.getvalue()


def test_ci_means_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert log.wants_json("auto")
    assert not log.wants_json("console")
