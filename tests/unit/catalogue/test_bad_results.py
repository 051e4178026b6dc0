"""Catalogue, results files read by ``orchestrate manifest``: refused before any registry.

Each case puts one results file under ``out/`` of the project copy (the fixtures of
``tests/data/results/`` where one exists, the rest made here) and runs ``orchestrate manifest
3.13.5 --results …`` against an unreachable registry: exit 2 naming the file and the key
(``out/x.json: results[0].seconds``), nothing written, nothing published.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.catalogue.harness import (
    NO_REGISTRY,
    Case,
    Fixture,
    cli_params,
    ids,
    run_case,
    run_in_process,
)

pytestmark = pytest.mark.real_processes

GOOD = (Path(__file__).resolve().parents[2] / "data" / "results" / "good-amd64.json").read_text()


def manifest(pattern: str = "out/x.json") -> tuple[str, ...]:
    return ("-C", "{root}", "manifest", "3.13.5", "--results", pattern, "--registry", NO_REGISTRY)


def fixture(name: str, says: str) -> Case:
    """A results fixture of ``tests/data/results/`` as ``out/x.json``."""
    return Case(
        f"results-{name}",
        manifest(),
        (f"out/x.json: {says}",),
        files={"out/x.json": Fixture(f"results/{name}.json")},
    )


def made(name: str, content: str | bytes, says: str) -> Case:
    assert content != GOOD, f"{name}: the change did not apply"
    return Case(f"results-{name}", manifest(), (says,), files={"out/x.json": content})


RESULTS_CASES = (
    Case(
        "results-not-json",
        manifest(),
        ("out/x.json:5: not JSON: Expecting value",),
        files={"out/x.json": Fixture("results/not-json.json")},
    ),
    fixture("not-an-object", "expected a JSON object at the top, got a list"),
    fixture("wrong-schema", "schema: expected 'orchestrate.results'"),
    fixture("schema-version-boolean", "schema_version: this orchestrate reads version 1"),
    fixture("future-schema-version", "schema_version: this orchestrate reads version 1"),
    fixture("seconds-not-finite", "results[0].seconds: expected a non-negative number or null"),
    fixture("seconds-boolean", "results[0].seconds: expected a non-negative number or null"),
    fixture("digest-trailing-newline", "results[0].digest: expected 'sha256:' and 64 hex"),
    fixture("bad-digest", "results[0].digest: expected 'sha256:' and 64 hex digits"),
    fixture("built-without-digest", "results[0].digest: a built job must name the digest"),
    fixture("unknown-status", "results[0].status: unknown status 'buitl'"),
    fixture("duplicate-job", "results[1].job_id: '3.13.5-bookworm-amd64' already in results[0]"),
    fixture("platform-unknown-key", "results[0].platform.varient: unknown key"),
    fixture("log-tail-not-list", "results[0].log_tail: expected a list of strings"),
    fixture("version-not-string", "version: expected a non-empty string, got a number"),
    made("not-utf8", GOOD.encode().replace(b'"amd64"', b'"amd\xff64"', 1), "out/x.json"),
    made(
        "nested-100000-deep",
        "[" * 100_000 + "]" * 100_000,
        "out/x.json: not JSON this program reads: nested too deep",
    ),
    made(
        "number-of-5000-digits",
        GOOD.replace('"seconds": 41.5', '"seconds": ' + "9" * 5000),
        "out/x.json: not JSON this program reads: Exceeds the limit (4300 digits)",
    ),
    made(
        "seconds-infinity",
        GOOD.replace('"seconds": 41.5', '"seconds": Infinity'),
        "out/x.json: results[0].seconds: expected a non-negative number or null, got Infinity",
    ),
    made(
        "digest-with-a-newline-escape",
        GOOD.replace('"digest": "sha256:', '"digest": "sha256:\\n', 1),
        "out/x.json: results[0].digest: expected 'sha256:' and 64 hex digits",
    ),
    Case(
        "results-glob-matches-nothing",
        manifest("out/*.json"),
        ("out/*.json: no results file matches",),
    ),
    Case(
        "results-is-a-directory",
        manifest("out/dir.json"),
        ("out/dir.json: no results file matches",),
        setup=lambda root, _: (root / "out" / "dir.json").mkdir(parents=True),
    ),
)


# Through the console script in the default run (every case with -m slow).
CLI = {"results-nested-100000-deep", "results-seconds-infinity"}


@pytest.mark.parametrize("case", RESULTS_CASES, ids=ids(RESULTS_CASES))
def test_bad_results_file(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_in_process(case, tmp_path, capsys, monkeypatch)


@pytest.mark.parametrize("case", cli_params(RESULTS_CASES, CLI))
def test_bad_results_file_through_the_console_script(case: Case, tmp_path: Path) -> None:
    run_case(case, tmp_path)
