"""Results files: round trip, atomic write, globbed read, one bad-input fixture per failure mode."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError
from orchestrator.platforms import Platform
from orchestrator.results import (
    SCHEMA,
    SCHEMA_VERSION,
    JobResult,
    JobStatus,
    read_results,
    write_results,
)
from tests.conftest import DATA

FIXTURES = DATA / "results"
D1 = "sha256:" + "a" * 64
D2 = "sha256:" + "b" * 64


def _built(job_id: str = "3.13.5-bookworm-amd64", digest: str = D1) -> JobResult:
    return JobResult(
        job_id=job_id,
        status=JobStatus.BUILT,
        platform=Platform("linux", "amd64"),
        repository="localhost:5000/python",
        digest=digest,
        content_key="0123",
        seconds=41.5,
        log="logs/x.log",
    )


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    results = [
        _built(),
        JobResult(
            job_id="3.13.5-bookworm-arm64v8",
            status=JobStatus.FAILED,
            platform=Platform("linux", "arm64", "v8"),
            repository="localhost:5000/python",
            digest=None,
            content_key="4567",
            seconds=3.0,
            reason="smoke test failed",
            log="logs/y.log",
            log_tail=("line 1", "line 2"),
        ),
        JobResult(
            job_id="3.13.5-windowsservercore-ltsc2022-windows-amd64",
            status=JobStatus.NOT_BUILT,
            platform=Platform("windows", "amd64", os_version="10.0.20348.2527"),
            repository="localhost:5000/python",
            digest=None,
            content_key=None,
            seconds=None,
            reason="no Windows builder",
        ),
    ]
    path = tmp_path / "out" / "amd64.json"
    write_results(path, "3.13.5", results)
    doc = json.loads(path.read_text())
    assert doc["schema"] == SCHEMA
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["results"][2]["platform"] == {
        "architecture": "amd64",
        "os": "windows",
        "os.version": "10.0.20348.2527",
    }
    version, back = read_results([str(path)])
    assert version == "3.13.5"
    assert back == results


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    write_results(path, "3.13.5", [_built()])
    first = path.stat().st_ino
    write_results(path, "3.13.5", [_built(digest=D2)])
    assert os.listdir(tmp_path) == ["a.json"]
    # os.replace swaps in a new inode: readers holding the old file never see a torn write
    assert path.stat().st_ino != first
    assert read_results([str(path)])[1][0].digest == D2


def test_write_failure_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    write_results(path, "3.13.5", [_built()])
    bad = _built()
    object.__setattr__(bad, "seconds", object())  # not JSON-serialisable
    with pytest.raises(TypeError):
        write_results(path, "3.13.5", [bad])
    assert os.listdir(tmp_path) == ["a.json"]
    assert read_results([str(path)])[1] == [_built()]


def test_glob_reads_all_files_in_sorted_order(tmp_path: Path) -> None:
    write_results(tmp_path / "b.json", "3.13.5", [_built("job-b", D2)])
    write_results(tmp_path / "a.json", "3.13.5", [_built("job-a", D1)])
    version, results = read_results([str(tmp_path / "*.json")])
    assert version == "3.13.5"
    assert [r.job_id for r in results] == ["job-a", "job-b"]


def test_same_file_through_two_patterns_is_read_once(tmp_path: Path) -> None:
    write_results(tmp_path / "a.json", "3.13.5", [_built()])
    _, results = read_results([str(tmp_path / "*.json"), str(tmp_path / "a.json")])
    assert len(results) == 1


def test_fixture_files_that_are_good_parse() -> None:
    version, results = read_results(
        [str(FIXTURES / "good-amd64.json"), str(FIXTURES / "good-windows.json")]
    )
    assert version == "3.13.5"
    assert [r.status for r in results] == [JobStatus.BUILT, JobStatus.NOT_BUILT]
    assert results[0].available
    assert not results[1].available
    assert results[1].platform.os_version == "10.0.20348.2527"


# One fixture per failure mode: (file, the exact problem text after "<file>").
BAD = [
    ("not-json.json", ":5: not JSON: Expecting value"),
    ("not-an-object.json", ": expected a JSON object at the top, got a list"),
    ("wrong-schema.json", ": schema: expected 'orchestrate.results', got 'something-else'"),
    ("future-schema-version.json", ": schema_version: this orchestrate reads version 1"),
    ("version-not-string.json", ": version: expected a non-empty string, got a number"),
    ("results-not-list.json", ": results: expected a list, got an object"),
    ("unknown-top-key.json", ": verison: unknown key (did you mean 'version'?)"),
    ("missing-job-id.json", ": results[0].job_id: missing"),
    ("unknown-status.json", ": results[0].status: unknown status 'buitl'"),
    ("bad-digest.json", ": results[0].digest: expected 'sha256:' and 64 hex digits"),
    (
        "digest-trailing-newline.json",
        ": results[0].digest: expected 'sha256:' and 64 hex digits, got 'sha256:"
        + "c" * 64
        + "\\n'",
    ),
    ("built-without-digest.json", ": results[0].digest: a built job must name the digest"),
    ("platform-missing-os.json", ": results[0].platform.os: expected a non-empty string"),
    ("platform-unknown-key.json", ": results[0].platform.varient: unknown key (did you mean"),
    ("seconds-not-number.json", ": results[0].seconds: expected a non-negative number"),
    (
        "seconds-not-finite.json",
        ": results[0].seconds: expected a non-negative number or null, got NaN",
    ),
    (
        "seconds-boolean.json",
        ": results[0].seconds: expected a non-negative number or null, got True",
    ),
    (
        "schema-version-boolean.json",
        ": schema_version: this orchestrate reads version 1, the file has True",
    ),
    ("log-tail-not-list.json", ": results[0].log_tail: expected a list of strings"),
    ("unknown-result-key.json", ": results[0].digset: unknown key (did you mean 'digest'?)"),
    ("empty-repository.json", ": results[0].repository: expected a non-empty string"),
    ("duplicate-job.json", ": results[1].job_id: '3.13.5-bookworm-amd64' already in results[0]"),
]


@pytest.mark.parametrize(("name", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_file_and_key(name: str, expected: str) -> None:
    path = str(FIXTURES / name)
    with pytest.raises(ConfigError) as info:
        read_results([path])
    assert any(p.startswith(path + expected) for p in info.value.problems), info.value.problems


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("1e400", "Infinity"),  # json reads it as inf
        ("1" + "0" * 400, "Infinity"),  # an integer no float holds
        ("true", "True"),
        ("false", "False"),
    ],
    ids=["NaN", "Infinity", "-Infinity", "1e400", "huge-integer", "true", "false"],
)
def test_seconds_must_be_a_finite_number(tmp_path: Path, written: str, shown: str) -> None:
    good = (FIXTURES / "good-amd64.json").read_text()
    path = tmp_path / "amd64.json"
    path.write_text(good.replace('"seconds": 41.5', f'"seconds": {written}'))
    with pytest.raises(ConfigError) as info:
        read_results([str(path)])
    assert list(info.value.problems) == [
        f"{path}: results[0].seconds: expected a non-negative number or null, got {shown}"
    ]
    assert info.value.exit_code == 2


def test_a_number_too_long_to_read_is_not_valid_json(tmp_path: Path) -> None:
    # Python's json raises a plain ValueError past 4300 digits (sys.get_int_max_str_digits).
    good = (FIXTURES / "good-amd64.json").read_text()
    path = tmp_path / "amd64.json"
    path.write_text(good.replace('"seconds": 41.5', '"seconds": ' + "1" * 5000))
    with pytest.raises(ConfigError) as info:
        read_results([str(path)])
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}: not JSON this program reads: Exceeds the limit"), problem
    assert info.value.exit_code == 2


@pytest.mark.parametrize("written", ["true", "1.0"])
def test_schema_version_must_be_the_integer_1(tmp_path: Path, written: str) -> None:
    text = (FIXTURES / "good-amd64.json").read_text()
    path = tmp_path / "amd64.json"
    path.write_text(text.replace('"schema_version": 1', f'"schema_version": {written}'))
    with pytest.raises(ConfigError) as info:
        read_results([str(path)])
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}: schema_version: this orchestrate reads version 1, ")
    assert info.value.exit_code == 2


def test_unknown_status_suggests_the_close_one() -> None:
    with pytest.raises(ConfigError) as info:
        read_results([str(FIXTURES / "unknown-status.json")])
    assert "(did you mean 'built'?)" in str(info.value)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "good-amd64.json").read_text())
    doc["results"][0].update(status="done", digest="md5:1", seconds=-1)
    path = tmp_path / "many.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError) as info:
        read_results([str(path)])
    keys = [p.split(": ", 2)[1] for p in info.value.problems]
    assert keys == ["results[0].status", "results[0].digest", "results[0].seconds"]


def test_pattern_matching_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"out/\*\.json: no results file matches"):
        read_results([str(tmp_path / "out/*.json")])
    with pytest.raises(ConfigError, match="no results files given"):
        read_results([])


def test_files_disagreeing_on_version_are_refused(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "good-amd64.json", tmp_path / "a.json")
    shutil.copy(FIXTURES / "other-version.json", tmp_path / "b.json")
    with pytest.raises(ConfigError, match="disagree on the version") as info:
        read_results([str(tmp_path / "*.json")])
    assert "a.json has '3.13.5'" in str(info.value)
    assert "b.json has '3.13.4'" in str(info.value)


def test_same_job_in_two_files_is_refused(tmp_path: Path) -> None:
    write_results(tmp_path / "a.json", "3.13.5", [_built()])
    write_results(tmp_path / "b.json", "3.13.5", [_built(digest=D2)])
    with pytest.raises(ConfigError) as info:
        read_results([str(tmp_path / "*.json")])
    (problem,) = info.value.problems
    assert problem.startswith(str(tmp_path / "b.json") + ": results[0].job_id:")
    assert problem.endswith(f"is also reported by {tmp_path / 'a.json'}")


def test_from_json_rejects_a_non_object() -> None:
    with pytest.raises(ConfigError, match=r"^x: results\[0\]: expected an object, got a list$"):
        JobResult.from_json([], where="x: results[0]")  # type: ignore[arg-type]


def test_strategy_is_optional_and_checked(tmp_path: Path) -> None:
    crossed = replace(_built(), strategy="cross")
    path = tmp_path / "a.json"
    write_results(path, "3.13.5", [crossed, _built("3.13.5-bookworm-i386")])
    entries = json.loads(path.read_text())["results"]
    assert entries[0]["strategy"] == "cross"
    assert "strategy" not in entries[1]  # not known: written as schema 1 always was
    assert read_results([str(path)])[1] == [crossed, _built("3.13.5-bookworm-i386")]
    # files written before the key existed still read (the fixture has none)
    _, old = read_results([str(FIXTURES / "good-amd64.json")])
    assert old[0].strategy is None
    doc = json.loads((FIXTURES / "good-amd64.json").read_text())
    for value, problem in [
        ("crss", "unknown strategy 'crss', expected one of native, emulate, cross (did you mean"),
        ("auto", "unknown strategy 'auto', expected one of native, emulate, cross"),
        (3, "expected a string or null, got a number"),
    ]:
        doc["results"][0]["strategy"] = value
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(doc))
        with pytest.raises(ConfigError) as info:
            read_results([str(bad)])
        assert info.value.problems[0].startswith(f"{bad}: results[0].strategy: {problem}")
