"""Reading regrtest's output: its result summary and failed tests (``orchestrator.regrtest``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator import regrtest
from tests.unit.regrtest_outputs import (
    REGRTEST_38_FAILURE,
    REGRTEST_ENV_CHANGED,
    REGRTEST_FAILURE,
    REGRTEST_NO_TESTS_RAN,
    REGRTEST_SUCCESS,
    REGRTEST_TIMEOUT,
    REGRTEST_WRAPPED,
)


@pytest.mark.parametrize(
    ("output", "returncode", "problems"),
    [
        (REGRTEST_SUCCESS, 0, []),
        (REGRTEST_ENV_CHANGED, 0, []),
        (REGRTEST_FAILURE, 2, ["regrtest: FAILURE; 2 tests failed: test_ssl test_zlib"]),
        (
            REGRTEST_WRAPPED,
            2,
            [
                "regrtest: FAILURE; 5 tests failed: test_aaaaaaaaaaaaaaaaaaaa test_bad "
                "test_bbbbbbbbbbbbbbbbbbbbbbbb test_cccccccccccccccccccccccccc "
                "test_dddddddddddddddddddddd"
            ],
        ),
        (REGRTEST_TIMEOUT, 2, ["regrtest: FAILURE; 1 test failed: test_decimal"]),
        (REGRTEST_38_FAILURE, 2, ["regrtest: FAILURE; 2 tests failed: test_bad test_bad2"]),
        (REGRTEST_NO_TESTS_RAN, 4, ["regrtest: NO TESTS RAN; 1 test run no tests: test_zlib"]),
        (
            "Result: ENV CHANGED\n\n1 test altered the execution environment (env changed):\n"
            "    test_env\n",
            3,
            [
                "regrtest: ENV CHANGED; 1 test altered the execution environment (env changed): "
                "test_env"
            ],
        ),
        ("== Tests result: FAILURE, INTERRUPTED ==\n", 130, ["regrtest: FAILURE, INTERRUPTED"]),
        ("Result: FAILURE then SUCCESS\n", 0, []),
        (REGRTEST_SUCCESS, 5, ["regrtest: result SUCCESS but exit code 5"]),
        (
            "Fatal Python error: Segmentation fault\n",
            139,
            [
                "regrtest: exit code 139 and no result summary "
                "(last line: Fatal Python error: Segmentation fault)"
            ],
        ),
        ("", 125, ["regrtest: exit code 125 and no result summary (last line: (no output))"]),
        ("", 0, ["regrtest: exit code 0 and no result summary (last line: (no output))"]),
    ],
)
def test_regrtest_summary(output: str, returncode: int, problems: list[str]) -> None:
    assert regrtest.regrtest_problems(output, returncode) == problems


@pytest.mark.real_processes
def test_regrtest_summary_of_this_pythons_regrtest(tmp_path: Path) -> None:
    pytest.importorskip("test.libregrtest")
    (tmp_path / "test_good.py").write_text(
        "import unittest\nclass T(unittest.TestCase):\n    def test_a(self): pass\n"
    )
    (tmp_path / "test_bad.py").write_text(
        "import unittest\nclass T(unittest.TestCase):\n    def test_a(self): self.fail('x')\n"
    )
    (tmp_path / "test_skip.py").write_text("import unittest\nraise unittest.SkipTest('no')\n")

    def run_regrtest(*tests: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "test", "--testdir", str(tmp_path), "-j2", *tests]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)

    good = run_regrtest("test_good", "test_skip")
    assert regrtest.regrtest_problems(good.stdout + good.stderr, good.returncode) == []
    bad = run_regrtest("test_good", "test_bad", "test_skip")
    assert regrtest.regrtest_problems(bad.stdout + bad.stderr, bad.returncode) == [
        "regrtest: FAILURE; 1 test failed: test_bad"
    ]
