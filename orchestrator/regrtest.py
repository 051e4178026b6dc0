"""What a regrtest run's output says: its result, the tests and cases that failed, and which
of those failures a cross-built image has that the native image of its variant has too.

Read by the conformance check (``conformance``), which runs regrtest in both images."""

from __future__ import annotations

import re

from orchestrator.errors import printable

# regrtest's summary (Lib/test/libregrtest: results.py, main.py): "== Tests result: STATE ==",
# at the end "Result: STATE" (3.11.7 and later; "Tests result: STATE" before), where STATE is
# SUCCESS, FAILURE, ENV CHANGED, NO TESTS RAN, INTERRUPTED, WORKER BUG (comma-joined) and after
# a re-run "FIRST then LAST". Each list of tests is a title ("2 tests failed:") and the names,
# sorted, wrapped at 70 columns, indented by four spaces.
_RESULT = re.compile(r"^(?:== )?(?:Tests r|R)esult: (?P<state>.+?)(?: ==)?[ \t]*$", re.MULTILINE)
_LIST = re.compile(
    r"^(?P<title>\d+ tests? (?P<what>.*):)\n(?P<names>(?: {4}\S.*\n?)+)", re.MULTILINE
)
# The list that names the tests behind each state.
_STATE_LIST = {
    "FAILURE": "failed",
    "ENV CHANGED": "altered the execution environment (env changed)",
    "NO TESTS RAN": "run no tests",
}


def regrtest_problems(output: str, returncode: int) -> list[str]:
    """What regrtest's summary says went wrong, in one line naming the tests; [] on SUCCESS.

    Skipped tests are fine, and so are tests that changed the environment (regrtest's state
    stays SUCCESS for them without ``--fail-env-changed``). Any exit without a summary, or a
    SUCCESS with a non-zero exit, is a problem.
    """
    results = list(_RESULT.finditer(output))
    if not results:
        last = last_line(output)
        return [f"regrtest: exit code {returncode} and no result summary (last line: {last})"]
    state = results[-1].group("state").split(" then ")[-1].strip()
    if state == "SUCCESS":
        return [] if returncode == 0 else [f"regrtest: result SUCCESS but exit code {returncode}"]
    lists = {
        m["what"]: f"{m['title']} {' '.join(m['names'].split())}" for m in _LIST.finditer(output)
    }
    named = [
        lists[_STATE_LIST[part]] for part in state.split(", ") if _STATE_LIST.get(part) in lists
    ]
    return [f"regrtest: {'; '.join([printable(state), *named])}"]


# unittest's verbose report of one failed test case: "FAIL: test_x (test.test_m.Class.test_x)"
_CASE = re.compile(r"^(?:FAIL|ERROR): (?P<name>\w+) \((?P<where>[\w.]+)\)", re.MULTILINE)


def failed_cases(output: str) -> frozenset[str]:
    """The test cases a verbose regrtest run reports as FAIL or ERROR (``module.Class.test``)."""
    return frozenset(m["where"] for m in _CASE.finditer(output))


def failed_modules(output: str) -> frozenset[str]:
    """The test modules regrtest's summary lists as failed."""
    return frozenset(
        name for m in _LIST.finditer(output) if m["what"] == "failed" for name in m["names"].split()
    )


def compared_problems(
    output: str, returncode: int, native_output: str
) -> tuple[list[str], frozenset[str]]:
    """The regrtest problems of the image that the native image does not have too, and the test
    cases that fail in both (the variant's environment, not the cross build: a slim image has
    no compiler, so ``test_ctypes``' ``find_library`` tests fail natively as well).

    A failed run is no problem when every test module it failed also failed natively and every
    test case it reports failing also failed natively; anything else (a case or a module failing
    only here, no summary, a time-out) is."""
    problems = regrtest_problems(output, returncode)
    if not problems:
        return [], frozenset()
    cases, native_cases = failed_cases(output), failed_cases(native_output)
    modules = failed_modules(output)
    only_cases = sorted(cases - native_cases)
    only_modules = sorted(modules - failed_modules(native_output))
    if only_cases or only_modules:
        named = only_cases or only_modules
        more = f" (+{len(named) - 5} more)" if len(named) > 5 else ""
        return [f"regrtest: fails here, not natively: {' '.join(named[:5])}{more}"], frozenset()
    if modules and cases:
        return [], cases & native_cases
    return problems, frozenset()


def last_line(output: str) -> str:
    """The last non-blank line of ``output``, printable and at most 200 characters."""
    lines = output.strip().splitlines()
    return printable(lines[-1][:200]) if lines else "(no output)"
