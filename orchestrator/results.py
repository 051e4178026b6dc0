"""Per-job build results and the versioned results file that carries them between CI jobs.

``orchestrate build … --push-by-digest --results out/A.json`` writes one file per architecture;
``orchestrate manifest VERSION --results 'out/*.json'`` reads them all back and assembles the
manifest lists. The file is JSON with a schema version, written atomically (temp file in the
same directory, then ``os.replace``) so a crashed or cancelled job never leaves half a file for
the manifest job to trust. Reading validates every field and reports every problem at once as
``FILE: results[N].key: message``.

File layout (schema 1)::

    {
      "schema": "orchestrate.results",
      "schema_version": 1,
      "version": "3.13.5",
      "results": [
        {"job_id": "3.13.5-bookworm-amd64", "status": "built",
         "platform": {"architecture": "amd64", "os": "linux"},
         "repository": "localhost:5000/python", "digest": "sha256:…",
         "content_key": "…", "seconds": 41.2, "reason": null, "log": "logs/….log",
         "log_tail": [], "strategy": "native"},
        …
      ]
    }

``strategy`` (how the job was built: native, emulate or cross) is optional: files written before
it existed have none and still read, so the schema version stays 1; it is written when known.

No engine, no subprocess: only the file system.
"""

from __future__ import annotations

import glob
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from orchestrator import oci
from orchestrator.errors import ConfigError, shown
from orchestrator.files import parse_json, write_atomic
from orchestrator.matrix import BUILD_STRATEGIES
from orchestrator.platforms import Platform, suggest

SCHEMA = "orchestrate.results"
SCHEMA_VERSION = 1

_PLATFORM_KEYS = ("architecture", "os", "os.version", "variant")


class JobStatus(StrEnum):
    BUILT = "built"  # built (or retried) and pushed, smoke test passed
    SKIPPED = "skipped"  # registry already holds an image for the job's content key
    FAILED = "failed"  # build, push or smoke test failed (reason + log_tail)
    NOT_BUILT = "not-built"  # never attempted: "no Windows builder", "interrupted", …


@dataclass(frozen=True)
class JobResult:
    """What happened to one job of the plan, and where its per-platform image lives."""

    job_id: str
    status: JobStatus
    platform: Platform
    repository: str  # e.g. "localhost:5000/python"
    digest: str | None  # manifest digest of the per-platform image; None unless BUILT/SKIPPED
    content_key: str | None
    seconds: float | None
    reason: str | None = None
    log: str | None = None
    log_tail: tuple[str, ...] = ()
    strategy: str | None = None  # how it was built: native, emulate or cross (None: not said)

    @property
    def available(self) -> bool:
        """The per-platform image exists (built now or already there) and can go into a list."""
        return self.status in (JobStatus.BUILT, JobStatus.SKIPPED) and self.digest is not None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "job_id": self.job_id,
            "status": self.status.value,
            "platform": self.platform.to_json(),
            "repository": self.repository,
            "digest": self.digest,
            "content_key": self.content_key,
            "seconds": self.seconds,
            "reason": self.reason,
            "log": self.log,
            "log_tail": list(self.log_tail),
        }
        if self.strategy is not None:
            data["strategy"] = self.strategy
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object], *, where: str) -> JobResult:
        """Parse one result; ``where`` (e.g. ``out/amd64.json: results[2]``) prefixes problems.

        Every problem of the entry is collected and raised as one ConfigError.
        """
        problems: list[str] = []
        p = _Problems(where, problems)
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected an object, got {_kind(data)}")
        for key in data:
            if key not in _RESULT_KEYS:
                problems.append(f"{where}.{key}: unknown key{suggest(str(key), _RESULT_KEYS)}")
        job_id = p.string(data, "job_id", required=True)
        status_text = p.string(data, "status", required=True)
        status: JobStatus | None = None
        if status_text is not None:
            try:
                status = JobStatus(status_text)
            except ValueError:
                choices = [s.value for s in JobStatus]
                problems.append(
                    f"{where}.status: unknown status {status_text!r}, expected one of "
                    f"{', '.join(choices)}{suggest(status_text, choices)}"
                )
        platform = _platform(data.get("platform"), f"{where}.platform", problems)
        repository = p.string(data, "repository", required=True)
        before = len(problems)
        digest = p.string(data, "digest")
        if digest is not None and not oci.is_sha256_digest(digest):
            problems.append(f"{where}.digest: expected 'sha256:' and 64 hex digits, got {digest!r}")
            digest = None
        if status is JobStatus.BUILT and digest is None and len(problems) == before:
            problems.append(f"{where}.digest: a built job must name the digest it pushed")
        content_key = p.string(data, "content_key")
        seconds = p.number(data, "seconds")
        reason = p.string(data, "reason")
        log_path = p.string(data, "log")
        tail = data.get("log_tail", [])
        log_tail: tuple[str, ...] = ()
        if not isinstance(tail, list) or not all(isinstance(x, str) for x in tail):
            problems.append(f"{where}.log_tail: expected a list of strings, got {_kind(tail)}")
        else:
            log_tail = tuple(tail)
        strategy = p.string(data, "strategy")
        if strategy is not None and strategy not in BUILD_STRATEGIES:
            problems.append(
                f"{where}.strategy: unknown strategy {strategy!r}, expected one of "
                f"{', '.join(BUILD_STRATEGIES)}{suggest(strategy, BUILD_STRATEGIES)}"
            )
            strategy = None
        if problems:
            raise ConfigError(problems)
        assert job_id is not None and status is not None and platform is not None
        assert repository is not None
        return cls(
            job_id=job_id,
            status=status,
            platform=platform,
            repository=repository,
            digest=digest,
            content_key=content_key,
            seconds=seconds,
            reason=reason,
            log=log_path,
            log_tail=log_tail,
            strategy=strategy,
        )


_RESULT_KEYS = (
    "job_id",
    "status",
    "platform",
    "repository",
    "digest",
    "content_key",
    "seconds",
    "reason",
    "log",
    "log_tail",
    "strategy",
)
_TOP_KEYS = ("schema", "schema_version", "version", "results")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class _Problems:
    where: str
    out: list[str]

    def string(self, data: Mapping[str, object], key: str, *, required: bool = False) -> str | None:
        if key not in data:
            if required:
                self.out.append(f"{self.where}.{key}: missing")
            return None
        value = data[key]
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value):
            want = "a non-empty string" if required else "a string or null"
            self.out.append(f"{self.where}.{key}: expected {want}, got {_kind(value)}")
            return None
        return value

    def number(self, data: Mapping[str, object], key: str) -> float | None:
        """A finite, non-negative number (``true`` is no number; ``json`` reads ``NaN`` and
        ``Infinity``, which are no duration)."""
        value = data.get(key)
        if value is None:
            return None
        number = _as_float(value)
        if number is None or not math.isfinite(number) or number < 0:
            finite = number is None or math.isfinite(number)
            shown = repr(value) if finite else json.dumps(number)  # as JSON spells it: NaN
            self.out.append(
                f"{self.where}.{key}: expected a non-negative number or null, got {shown}"
            )
            return None
        return number


def _as_float(value: object) -> float | None:
    """``value`` as a float if it is a JSON number (an integer too large for one is infinite)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _platform(value: object, where: str, problems: list[str]) -> Platform | None:
    if not isinstance(value, Mapping):
        problems.append(f"{where}: expected an object like {{'os': 'linux', 'architecture': …}}")
        return None
    bad = False
    for key in value:
        if key not in _PLATFORM_KEYS:
            problems.append(f"{where}.{key}: unknown key{suggest(str(key), _PLATFORM_KEYS)}")
            bad = True
    fields: dict[str, str | None] = {}
    for key in _PLATFORM_KEYS:
        item = value.get(key)
        required = key in ("architecture", "os")
        if item is None and not required:
            fields[key] = None
        elif not isinstance(item, str) or not item:
            problems.append(f"{where}.{key}: expected a non-empty string, got {_kind(item)}")
            bad = True
        else:
            fields[key] = item
    if bad:
        return None
    return Platform(
        os=str(fields["os"]),
        architecture=str(fields["architecture"]),
        variant=fields["variant"],
        os_version=fields["os.version"],
    )


def dumps(version: str, results: Sequence[JobResult]) -> str:
    """The results file's text (stable key order, one trailing newline)."""
    doc = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "version": version,
        "results": [r.to_json() for r in results],
    }
    return json.dumps(doc, indent=2) + "\n"


def write_results(path: Path, version: str, results: Sequence[JobResult]) -> None:
    """Write the results file atomically: a reader sees the old file or the whole new one."""
    write_atomic(Path(path), dumps(version, results), fsync=True)


def loads(text: str | bytes, *, where: str) -> tuple[str, list[JobResult]]:
    """Parse one results file's text; ``where`` names the file in every problem."""
    doc: Any = parse_json(text, where)
    if not isinstance(doc, dict):
        raise ConfigError(f"{where}: expected a JSON object at the top, got {_kind(doc)}")
    problems = _check_header(doc, where)
    version = doc.get("version")
    results = _entries(doc.get("results"), where, problems)
    if problems:
        raise ConfigError(problems)
    assert isinstance(version, str)
    return version, results


def _check_header(doc: Mapping[str, object], where: str) -> list[str]:
    problems: list[str] = []
    for key in doc:
        if key not in _TOP_KEYS:
            problems.append(f"{where}: {key}: unknown key{suggest(str(key), _TOP_KEYS)}")
    if doc.get("schema") != SCHEMA:
        problems.append(
            f"{where}: schema: expected {SCHEMA!r}, got {doc.get('schema')!r} "
            "(not an orchestrate results file?)"
        )
    elif not _is_int(doc.get("schema_version"), SCHEMA_VERSION):
        problems.append(
            f"{where}: schema_version: this orchestrate reads version {SCHEMA_VERSION}, "
            f"the file has {shown(doc.get('schema_version'))}"
        )
    version = doc.get("version")
    if not isinstance(version, str) or not version:
        problems.append(f"{where}: version: expected a non-empty string, got {_kind(version)}")
    return problems


def _is_int(value: object, expected: int) -> bool:
    """``value`` is the integer ``expected``: ``true`` and ``1.0`` equal 1 in Python, not here."""
    return not isinstance(value, bool) and isinstance(value, int) and value == expected


def _entries(entries: object, where: str, problems: list[str]) -> list[JobResult]:
    results: list[JobResult] = []
    if not isinstance(entries, list):
        problems.append(f"{where}: results: expected a list, got {_kind(entries)}")
        return results
    for i, entry in enumerate(entries):
        try:
            results.append(JobResult.from_json(entry, where=f"{where}: results[{i}]"))
        except ConfigError as exc:
            problems.extend(exc.problems)
    seen: dict[str, int] = {}
    for i, r in enumerate(results):
        if r.job_id in seen:
            first = seen[r.job_id]
            problems.append(
                f"{where}: results[{i}].job_id: {r.job_id!r} already in results[{first}]"
            )
        seen.setdefault(r.job_id, i)
    return results


def read_results(patterns: Sequence[str]) -> tuple[str, list[JobResult]]:
    """Read every results file matching the glob ``patterns`` (e.g. ``'out/*.json'``).

    Returns the version and all results, files in sorted path order. Raises ConfigError when a
    pattern matches nothing, a file is bad, the files disagree on the version, or two files
    report the same job.
    """
    if not patterns:
        raise ConfigError("no results files given (--results 'out/*.json')")
    problems: list[str] = []
    files: list[str] = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        matched = [m for m in matched if Path(m).is_file()]
        if not matched:
            problems.append(f"{pattern}: no results file matches")
        files.extend(m for m in matched if m not in files)
    if problems:
        raise ConfigError(problems)
    versions: dict[str, str] = {}
    owner: dict[str, str] = {}
    out: list[JobResult] = []
    for name in files:
        try:
            version, results = loads(Path(name).read_bytes(), where=name)
        except OSError as exc:
            problems.append(f"{name}: cannot read: {exc.strerror}")
            continue
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        versions[name] = version
        for i, r in enumerate(results):
            if r.job_id in owner:
                other = owner[r.job_id]
                problems.append(
                    f"{name}: results[{i}].job_id: {r.job_id!r} is also reported by {other}"
                )
                continue
            owner[r.job_id] = name
            out.append(r)
    distinct = sorted(set(versions.values()))
    if len(distinct) > 1:
        detail = ", ".join(f"{n} has {v!r}" for n, v in versions.items())
        problems.append(f"results files disagree on the version: {detail}")
    if problems:
        raise ConfigError(problems)
    return distinct[0], out
