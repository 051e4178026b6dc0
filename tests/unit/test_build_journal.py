"""The build's journal (the local run record): written job by job, read back, bad files named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestrator.build import journal
from orchestrator.errors import ConfigError

NOW = datetime(2025, 6, 11, 12, 0, tzinfo=UTC)


def test_round_trip(tmp_path: Path) -> None:
    path = journal.path_for(tmp_path, "localhost:5000/python", "3.13.5")
    assert path == tmp_path / "runs" / "localhost_5000_python" / "3.13.5.json"
    record = journal.Journal(path, "3.13.5")
    assert record.jobs == {}
    record.update("j1", status="built", content_key="k", digest="sha256:d", seconds=1.5, now=NOW)
    record.update("j2", status="not-built", content_key=None, digest=None, seconds=None,
                  reason="interrupted", now=NOW)  # fmt: skip
    again = journal.Journal(path, "3.13.5")
    assert again.jobs["j1"] == journal.RecordedJob(
        "built", "k", "sha256:d", 1.5, None, "2025-06-11T12:00:00Z"
    )
    assert again.jobs["j2"].reason == "interrupted"
    assert not list(path.parent.glob("*.tmp*")) and len(list(path.parent.iterdir())) == 1


def test_later_update_replaces_the_entry(tmp_path: Path) -> None:
    record = journal.Journal(tmp_path / "r.json", "v")
    record.update("j", status="not-built", content_key="k", digest=None, seconds=None, now=NOW)
    record.update("j", status="built", content_key="k", digest="sha256:d", seconds=2, now=NOW)
    assert journal.load(tmp_path / "r.json", "v")["j"].status == "built"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", r"r\.json:1: not JSON"),
        ("[]", "expected a JSON object"),
        ('{"schema": 2, "version": "v", "jobs": {}}', "schema: expected 1, got 2"),
        ('{"schema": 1, "version": "w", "jobs": {}}', "version: expected 'v', got 'w'"),
        ('{"schema": 1, "version": "v", "jobs": []}', "jobs: expected an object"),
        (
            '{"schema": 1, "version": "v", "jobs": {"j": {"status": 3, "finished": "x"}}}',
            r"jobs\.j\.status: expected a string, got 3",
        ),
        (
            '{"schema": 1, "version": "v", "jobs": {"j": {"status": "built", "finished": "x",'
            ' "seconds": "long"}}}',
            r"jobs\.j\.seconds: expected a number",
        ),
    ],
)
def test_bad_records_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        journal.load(path, "v")


def test_file_is_plain_json(tmp_path: Path) -> None:
    record = journal.Journal(tmp_path / "r.json", "v")
    record.update("j", status="skipped", content_key="k", digest="sha256:d", seconds=None, now=NOW)
    data = json.loads((tmp_path / "r.json").read_text())
    assert data == {
        "schema": 1,
        "version": "v",
        "jobs": {
            "j": {
                "status": "skipped",
                "content_key": "k",
                "digest": "sha256:d",
                "seconds": None,
                "reason": None,
                "finished": "2025-06-11T12:00:00Z",
            }
        },
    }


def test_the_strategy_is_recorded_when_known(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    record = journal.Journal(path, "v")
    record.update("j", status="built", content_key="k", digest="sha256:d", seconds=1.0,
                  strategy="cross", now=NOW)  # fmt: skip
    record.update("old", status="skipped", content_key="k", digest=None, seconds=None, now=NOW)
    data = json.loads(path.read_text())["jobs"]
    assert data["j"]["strategy"] == "cross"
    assert "strategy" not in data["old"]  # as records were before the key existed
    back = journal.load(path, "v")
    assert back["j"].strategy == "cross" and back["old"].strategy is None
    data["j"]["strategy"] = 7
    path.write_text(json.dumps({"schema": 1, "version": "v", "jobs": data}))
    with pytest.raises(ConfigError, match=r"jobs\.j\.strategy: expected a string, got 7"):
        journal.load(path, "v")
