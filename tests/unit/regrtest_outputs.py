"""regrtest outputs recorded from real runs, for the tests of ``regrtest`` and ``conformance``."""

from __future__ import annotations

# Recorded from CPython 3.13.0's regrtest (`python -m test -j2 --timeout 60 …`), the progress
# lines and tracebacks shortened.
REGRTEST_SUCCESS = """\
Using random seed: 4260341884
0:00:00 load avg: 3.16 Run 2 tests in parallel using 2 worker processes (timeout: 1 min, worker timeout: 1 min 30 sec)
0:00:00 load avg: 3.15 [1/2] test_zlib passed
0:00:00 load avg: 3.15 [2/2] test_ssl skipped
test_ssl skipped -- No module named '_ssl'

== Tests result: SUCCESS ==

1 test skipped:
    test_ssl

1 test OK.

Total duration: 236 ms
Total tests: run=1
Total test files: run=2/2 skipped=1
Result: SUCCESS
"""  # noqa: E501

REGRTEST_FAILURE = """\
Using random seed: 1718774194
0:00:00 load avg: 3.15 Run 4 tests in parallel using 2 worker processes (timeout: 1 min, worker timeout: 1 min 30 sec)
0:00:00 load avg: 3.15 [1/4] test_math passed
0:00:00 load avg: 3.15 [2/4/1] test_ssl failed (1 failure)
test test_ssl failed -- Traceback (most recent call last):
AssertionError: 1 != 2
0:00:00 load avg: 3.15 [3/4/2] test_zlib failed (1 error)
test test_zlib failed -- Traceback (most recent call last):
RuntimeError: boom
0:00:00 load avg: 3.15 [4/4/2] test_lzma skipped
test_lzma skipped -- no such thing here

== Tests result: FAILURE ==

1 test skipped:
    test_lzma

2 tests failed:
    test_ssl test_zlib

1 test OK.

Total duration: 710 ms
Total tests: run=3 failures=1
Total test files: run=4/4 failed=2 skipped=1
Result: FAILURE
"""  # noqa: E501

# A long list is wrapped at 70 columns.
REGRTEST_WRAPPED = """\
== Tests result: FAILURE ==

5 tests failed:
    test_aaaaaaaaaaaaaaaaaaaa test_bad test_bbbbbbbbbbbbbbbbbbbbbbbb
    test_cccccccccccccccccccccccccc test_dddddddddddddddddddddd

1 test OK.

Total duration: 607 ms
Total tests: run=6 failures=5
Total test files: run=6/6 failed=5
Result: FAILURE
"""

REGRTEST_ENV_CHANGED = """\
0:00:00 load avg: 3.15 [2/2/1] test_env failed (env changed)
Warning -- os.environ was modified by test_env

== Tests result: SUCCESS ==

1 test altered the execution environment (env changed):
    test_env

1 test OK.

Total duration: 492 ms
Total tests: run=2
Total test files: run=2/2 env_changed=1
Result: SUCCESS
"""

REGRTEST_NO_TESTS_RAN = """\
0:00:00 load avg: 3.78 [1/1] test_zlib ran no tests

== Tests result: NO TESTS RAN ==

1 test run no tests:
    test_zlib

Total duration: 406 ms
Total tests: run=0 (filtered)
Total test files: run=1/1 (filtered) run_no_tests=1
Result: NO TESTS RAN
"""

# A test over its --timeout: the worker is killed and the test counted as failed.
REGRTEST_TIMEOUT = """\
0:00:02 load avg: 3.72 [2/2/1] test_decimal worker non-zero exit code (Exit code 1)
Timeout (0:00:02)!
Thread 0x00007f8dd7e21b80 (most recent call first):
  File "<frozen runpy>", line 198 in _run_module_as_main

== Tests result: FAILURE ==

1 test failed:
    test_decimal

1 test OK.

Total duration: 2.2 sec
Total tests: run=1
Total test files: run=2/2 failed=1
Result: FAILURE
"""

# Recorded from CPython 3.8.18: no "Total tests" lines, "Tests result:" at the end.
REGRTEST_38_FAILURE = """\
== Tests result: FAILURE ==

1 test OK.

2 tests failed:
    test_bad test_bad2

1 test skipped:
    test_skip

Total duration: 939 ms
Tests result: FAILURE
"""
