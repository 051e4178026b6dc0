"""The catalogue as a whole: at least 60 cases, ids unique, the console-script picks real.

``counts()`` is what ``docs/reliability.md ("Hostile input")`` reports per kind of input (the docker
config's cases need a registry that challenges for credentials, so they are integration
tests: ``tests/integration/test_bad_docker_config.py``).
"""

from __future__ import annotations

from tests.unit.catalogue import (
    test_bad_files,
    test_bad_flags,
    test_bad_matrix,
    test_bad_reports,
    test_bad_results,
    test_bad_stdout,
    test_bad_templates,
)
from tests.unit.catalogue.harness import Case, ids

TABLES: dict[str, tuple[tuple[Case, ...], set[str]]] = {
    "matrix.yml": (test_bad_matrix.MATRIX_CASES, test_bad_matrix.CLI),
    "templates and the keys they need": (test_bad_templates.TEMPLATE_CASES, test_bad_templates.CLI),
    "command-line flags": (test_bad_flags.FLAG_CASES, test_bad_flags.CLI),
    "results files": (test_bad_results.RESULTS_CASES, test_bad_results.CLI),
    "reports for --diff, run records": (test_bad_reports.REPORT_CASES, test_bad_reports.CLI),
    "output paths and the file system": (test_bad_files.FILE_CASES, test_bad_files.CLI),
    "standard output": (test_bad_stdout.STDOUT_CASES, {c.id for c in test_bad_stdout.STDOUT_CASES}),
}


def counts() -> dict[str, int]:
    return {kind: len(cases) for kind, (cases, _) in TABLES.items()}


def test_at_least_60_cases_with_unique_ids() -> None:
    every = [c for cases, _ in TABLES.values() for c in cases]
    assert len(every) >= 60, counts()
    ids(tuple(every))


def test_the_console_script_picks_are_cases_of_their_table() -> None:
    for kind, (cases, picked) in TABLES.items():
        assert picked <= {c.id for c in cases}, kind


def test_every_case_names_its_place() -> None:
    for cases, _ in TABLES.values():
        for case in cases:
            assert case.says or case.exit == 141, case.id  # a quiet end says nothing
