"""The build's journal (the local run record): which jobs of a version finished, with their key
and digest.

``.orchestrate/runs/<repository>/<version>.json`` is rewritten (temp file + ``os.replace``)
after every job that finishes, so a crash or Ctrl-C leaves a record of everything done up to
that moment. The registry stays the truth: a job is skipped only when the registry holds an
image under its content-key tag; the record says what a previous run did (built, failed,
"interrupted"), and survives a registry that was wiped.

Schema (version 1)::

    {"schema": 1, "version": "3.13.5",
     "jobs": {"3.13.5-bookworm-amd64": {"status": "built", "content_key": "…",
              "digest": "sha256:…", "seconds": 312.4, "reason": null, "finished": "…Z",
              "strategy": "native"}}}

``strategy`` (how the job was built) is written when known; records without it still read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.errors import ConfigError, shown
from orchestrator.files import read_json, write_atomic

SCHEMA = 1


@dataclass(frozen=True)
class RecordedJob:
    """What the journal says about one job: how it last finished."""

    status: str
    content_key: str | None
    digest: str | None
    seconds: float | None
    reason: str | None
    finished: str
    strategy: str | None = None  # native, emulate or cross

    @classmethod
    def from_json(cls, data: Any, *, where: str) -> RecordedJob:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected an object")
        problems: list[str] = []

        def text(key: str, required: bool = False) -> str | None:
            value = data.get(key)
            if value is None and not required:
                return None
            if not isinstance(value, str):
                problems.append(f"{where}.{key}: expected a string, got {shown(value)}")
                return None
            return value

        seconds = data.get("seconds")
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float)
        ):
            problems.append(f"{where}.seconds: expected a number, got {shown(seconds)}")
            seconds = None
        entry = cls(
            status=text("status", True) or "",
            content_key=text("content_key"),
            digest=text("digest"),
            seconds=float(seconds) if seconds is not None else None,
            reason=text("reason"),
            finished=text("finished", True) or "",
            strategy=text("strategy"),
        )
        if problems:
            raise ConfigError(problems)
        return entry


def path_for(state_dir: Path, repository: str, version: str) -> Path:
    """``<state>/runs/<repository, / and : as _>/<version>.json``: one record per target."""
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in repository)
    return state_dir / "runs" / safe / f"{version}.json"


def load(path: Path, version: str) -> dict[str, RecordedJob]:
    """The journal's jobs, or ``{}`` when there is none yet; ConfigError naming the file if bad."""
    try:
        data = read_json(path)
    except FileNotFoundError:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    schema = data.get("schema")
    if isinstance(schema, bool) or schema != SCHEMA:  # true == 1 in Python, not here
        raise ConfigError(f"{path}: schema: expected {SCHEMA}, got {shown(schema)}")
    if data.get("version") != version:
        raise ConfigError(
            f"{path}: version: expected {version!r}, got {shown(data.get('version'))}"
        )
    jobs = data.get("jobs")
    if not isinstance(jobs, dict):
        raise ConfigError(f"{path}: jobs: expected an object")
    return {
        job_id: RecordedJob.from_json(v, where=f"{path}: jobs.{job_id}")
        for job_id, v in jobs.items()
    }


class Journal:
    """The journal of one version's runs, updated job by job (thread-safe)."""

    def __init__(self, path: Path, version: str) -> None:
        self.path = path
        self.version = version
        self.jobs: dict[str, RecordedJob] = load(path, version)
        self._lock = threading.Lock()

    def update(
        self,
        job_id: str,
        *,
        status: str,
        content_key: str | None,
        digest: str | None,
        seconds: float | None,
        reason: str | None = None,
        strategy: str | None = None,
        now: datetime | None = None,
    ) -> None:
        when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        entry = RecordedJob(status, content_key, digest, seconds, reason, when, strategy)
        with self._lock:
            self.jobs[job_id] = entry
            self._write()

    def _write(self) -> None:
        data = {
            "schema": SCHEMA,
            "version": self.version,
            "jobs": {k: _entry_json(v) for k, v in sorted(self.jobs.items())},
        }
        write_atomic(self.path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def _entry_json(entry: RecordedJob) -> dict[str, Any]:
    """A job's record as written: ``strategy`` only when known (older records have none)."""
    data = asdict(entry)
    if data["strategy"] is None:
        del data["strategy"]
    return data
