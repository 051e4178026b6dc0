"""``orchestrate manifest``: argument and results checking that happens before any registry call."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator import cli
from orchestrator.commands.manifest import target_repository
from orchestrator.errors import ConfigError, UsageError
from orchestrator.platforms import Platform
from orchestrator.results import JobResult, JobStatus, write_results
from tests.conftest import DATA

MATRIX = """\
schema: 1
builders: {}
profile_tasks: {}
variants:
  bookworm:
    family: debian
    template: modern
    parent: buildpack-deps:bookworm
    arches: [amd64, i386]
lines:
  "9.9":
    version: 9.9.0
    sha256: 93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
    defaults:
      debian: bookworm
    variants: [bookworm]
"""


def _result(job_id: str, repository: str, status: JobStatus = JobStatus.BUILT) -> JobResult:
    return JobResult(
        job_id=job_id,
        status=status,
        platform=Platform("linux", "amd64"),
        repository=repository,
        digest="sha256:" + "c" * 64 if status is JobStatus.BUILT else None,
        content_key=None,
        seconds=None,
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "matrix.yml").write_text(MATRIX)
    return tmp_path


def test_target_is_where_the_results_pushed() -> None:
    results = [_result("a", "localhost:5000/python")]
    assert target_repository(results, None, None) == "localhost:5000/python"
    assert target_repository(results, "localhost:5001", None) == "localhost:5001/python"
    assert target_repository(results, None, "other") == "localhost:5000/other"
    assert target_repository(results, "r.example", "x/y") == "r.example/x/y"
    assert target_repository([_result("a", "python")], None, None) == "python"


def test_failed_results_still_name_the_target() -> None:
    results = [_result("a", "localhost:5000/python", JobStatus.FAILED)]
    assert target_repository(results, None, None) == "localhost:5000/python"


def test_results_in_two_repositories_are_refused() -> None:
    results = [_result("a", "localhost:5000/python"), _result("b", "localhost:5000/pithon")]
    with pytest.raises(ConfigError, match="more than one repository"):
        target_repository(results, None, None)
    with pytest.raises(UsageError, match="give --registry HOST --repository NAME"):
        target_repository([], None, None)


def _main(root: Path, *args: str) -> int:
    return cli.main(["-C", str(root), "--log-format", "json", "manifest", "9.9.0", *args])


def test_bad_results_file_exits_2_naming_file_and_key(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = DATA / "results" / "unknown-status.json"
    assert _main(root, "--results", str(bad)) == 2
    err = capsys.readouterr().err
    assert f"{bad}: results[0].status: unknown status 'buitl'" in err


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "digest-trailing-newline.json",
            "results[0].digest: expected 'sha256:' and 64 hex digits, got 'sha256:"
            + "c" * 64
            + "\\n'",
        ),
        (
            "seconds-not-finite.json",
            "results[0].seconds: expected a non-negative number or null, got NaN",
        ),
    ],
)
def test_a_bad_digest_or_duration_exits_2_before_any_publishing(
    root: Path, capsys: pytest.CaptureFixture[str], name: str, expected: str
) -> None:
    bad = DATA / "results" / name
    assert _main(root, "--results", str(bad)) == 2
    assert f"{bad}: {expected}" in capsys.readouterr().err


def test_glob_matching_nothing_exits_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(root, "--results", str(root / "out" / "*.json")) == 2
    assert "out/*.json: no results file matches" in capsys.readouterr().err


def test_results_of_another_version_or_job_exit_2(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_results(root / "out" / "a.json", "9.9.1", [_result("9.9.0-bookwrm-amd64", "x/y")])
    assert _main(root, "--results", str(root / "out" / "*.json")) == 2
    err = capsys.readouterr().err
    assert "results are for version '9.9.1', not '9.9.0'" in err
    assert "job '9.9.0-bookwrm-amd64' is not in the plan for 9.9.0" in err
    assert "(did you mean '9.9.0-bookworm-amd64'?)" in err


def test_require_needs_keep_going(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_results(root / "a.json", "9.9.0", [_result("9.9.0-bookworm-amd64", "localhost:5000/p")])
    assert _main(root, "--results", str(root / "a.json"), "--require", "amd64") == 2
    assert "--require only applies with --keep-going" in capsys.readouterr().err


def test_unknown_required_arch_exits_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_results(root / "a.json", "9.9.0", [_result("9.9.0-bookworm-amd64", "localhost:5000/p")])
    code = _main(root, "--results", str(root / "a.json"), "--keep-going", "--require", "i368")
    assert code == 2
    assert "--require i368: unknown architecture (did you mean 'i386'?)" in capsys.readouterr().err
