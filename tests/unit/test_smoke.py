"""Smoke-test commands and their verdicts, over outputs recorded from real images."""

from __future__ import annotations

import lzma
import re
from pathlib import Path
from typing import Any

import pytest

from orchestrator import proc, smoke
from orchestrator.buildx import DEFAULT_ROUTE, Route
from orchestrator.errors import CheckFailed, CommandFailed
from orchestrator.platforms import ARCHES


def checks(family: str = "debian", route: Route = DEFAULT_ROUTE) -> tuple[smoke.Check, ...]:
    return smoke.checks(
        route=route,
        image="localhost:5000/python:build-0123456789ab-arm32v7",
        platform=ARCHES["arm32v7"].platform,
        version="3.13.5",
        family=family,
    )


def test_commands_run_the_image_on_its_platform_without_network() -> None:
    version, imports, pip = checks()
    prefix = (
        "docker", "run", "--rm", "--init", "--network", "none", "--platform", "linux/arm/v7",
        "localhost:5000/python:build-0123456789ab-arm32v7",
    )  # fmt: skip
    assert version.argv == (*prefix, "python", "--version")
    assert imports.argv[: len(prefix)] == prefix
    assert imports.argv[len(prefix) : len(prefix) + 2] == ("python", "-c")
    assert "import ssl, sqlite3, zlib, bz2, lzma, ctypes, readline, curses;" in imports.argv[-1]
    assert pip.argv == (*prefix, "pip", "--version")


def test_commands_follow_the_route() -> None:
    for check in checks(route=Route(context="d2")):
        assert check.argv[:4] == ("docker", "--context", "d2", "run")


def test_modules_per_family() -> None:
    for family in ("debian", "debian-slim", "alpine"):
        assert smoke.modules_for(family)[-2:] == ("readline", "curses")
    assert "readline" not in smoke.modules_for("windowsservercore")
    assert smoke.testable(ARCHES["arm32v5"].platform)
    assert not smoke.testable(ARCHES["windows-amd64"].platform)


def test_verdicts() -> None:
    version, imports, pip = checks()
    assert version.verify("Python 3.13.5\n") is None
    assert version.verify("Python 3.13.50\n") is not None
    assert version.verify("Python 3.11.2\n") == (
        "python --version: expected /^Python 3\\.13\\.5$/, got 'Python 3.11.2'"
    )
    assert imports.verify("imports ok: OpenSSL 3.0.16 11 Feb 2025\n") is None
    assert imports.verify("") is not None
    assert (
        pip.verify("pip 25.1.1 from /usr/local/lib/python3.13/site-packages/pip (python 3.13)\n")
        is None
    )
    assert (
        pip.verify("pip 23.0.1 from /usr/lib/python3/dist-packages/pip (python 3.11)\n") is not None
    )


def fake(outputs: dict[str, str], fail: str | None = None) -> Any:
    def run(argv: Any, **kw: Any) -> proc.Completed:
        args = tuple(argv)
        if fail and fail in args:
            raise CommandFailed(
                args, 1, "Traceback …\nModuleNotFoundError: No module named '_curses'\n"
            )
        out = next(v for k, v in outputs.items() if k in args)
        return proc.Completed(args, 0, out, "", 0.1)

    return run


OUTPUTS = {
    "--version": "Python 3.13.5\n",
    "-c": "imports ok: OpenSSL 3.0.16 11 Feb 2025\n",
    "pip": "pip 25.1.1 from /usr/local/lib/python3.13/site-packages/pip (python 3.13)\n",
}


def test_run_checks_passes(tmp_path: Path) -> None:
    # "pip --version" also holds "--version": the fake answers the first key it finds.
    ordered = {"pip": OUTPUTS["pip"], "-c": OUTPUTS["-c"], "--version": OUTPUTS["--version"]}
    answer = fake(ordered)
    calls: list[tuple[tuple[str, ...], Any]] = []

    def run(argv: Any, **kw: Any) -> proc.Completed:
        calls.append((tuple(argv), kw.get("log_file")))
        return answer(argv, **kw)  # type: ignore[no-any-return]

    to_run = checks()
    smoke.run_checks(to_run, log_file=tmp_path / "log", runner=run)  # no CheckFailed
    # Every check ran, in order, each with its output going to the job's log.
    assert calls == [(c.argv, tmp_path / "log") for c in to_run]


def test_a_failing_import_fails_the_smoke_test(tmp_path: Path) -> None:
    with pytest.raises(CheckFailed, match=r"smoke test imports: exit code 1: ModuleNotFoundError"):
        smoke.run_checks(checks(), log_file=tmp_path / "log", runner=fake(OUTPUTS, fail="-c"))


def test_a_wrong_version_fails_the_smoke_test(tmp_path: Path) -> None:
    wrong = {"pip": OUTPUTS["pip"], "-c": OUTPUTS["-c"], "--version": "Python 3.13.4\n"}
    with pytest.raises(CheckFailed, match="python --version"):
        smoke.run_checks(checks(), log_file=tmp_path / "log", runner=fake(wrong))


# --------------------------------------------------------------------------- PGO evidence

BUILD_DATA = Path(__file__).resolve().parent.parent / "data" / "build"


def test_quick_build_log_has_no_profile_run_and_needs_none() -> None:
    # Recorded from the real `orchestrate build 3.13.5 --profile quick` (bookworm, amd64).
    ev = smoke.profile_evidence((BUILD_DATA / "quick-build-excerpt.log").read_text())
    assert not ev.configured and not ev.ran and ev.task is None
    assert not ev.empty_task and ev.problem() is None


def test_empty_profile_task_is_caught() -> None:
    for line in (
        "#7 70.1 + make -j 2 PROFILE_TASK= EXTRA_CFLAGS=-g",
        "#7 70.1 + make -j 2 PROFILE_TASK=''",
        "+ make -j 2 PROFILE_TASK=",
    ):
        ev = smoke.profile_evidence(line + "\n")
        assert ev.empty_task, line
        problem = ev.problem()
        assert problem is not None and "empty PROFILE_TASK=" in problem
    explicit = "#7 70.1 + make -j 2 PROFILE_TASK=-m test.regrtest --pgo test_array test_base64\n"
    assert not smoke.profile_evidence(explicit).empty_task


def test_pgo_configured_without_profile_run_is_a_problem() -> None:
    log = "#6 2.4 + ./configure --build=x86_64-linux-gnu --enable-optimizations --with-lto\n"
    ev = smoke.profile_evidence(log)
    assert ev.configured and not ev.ran
    assert ev.problem() == (
        "PGO build without a profile run (no regrtest --pgo run in the build log)"
    )


def test_pgo_build_log_shows_the_profile_run() -> None:
    # Recorded from the real `orchestrate build 3.13.5 --arch amd64 --variant bookworm
    # --profile full` (docs/build-times.md): configure with --enable-optimizations, make's
    # profile-run-stamp announcement, `./python -m test --pgo`, regrtest's progress lines.
    ev = smoke.profile_evidence((BUILD_DATA / "pgo-build-excerpt.log").read_text())
    assert ev.configured and ev.ran and ev.tests > 0
    assert ev.task == "-m test --pgo --timeout="
    assert not ev.empty_task and ev.problem() is None


def test_whole_pgo_build_log() -> None:
    # The whole log of that job, kept compressed: 43 tests run (each line twice: start, passed),
    # and make was never handed a PROFILE_TASK (the 3.13 line uses CPython's default task).
    log = lzma.decompress(
        (BUILD_DATA / "pgo-build-3.13.5-bookworm-amd64.log.xz").read_bytes()
    ).decode()
    ev = smoke.profile_evidence(log)
    assert ev.ran and ev.tests == 86 and ev.problem() is None
    assert "Run 43 tests sequentially" in log and "Result: SUCCESS" in log
    assert not re.search(r"^#\d+ [\d.]+ \+ make\b.*PROFILE_TASK", log, re.MULTILINE)


def test_removing_the_profile_run_from_the_log_is_caught() -> None:
    text = (BUILD_DATA / "pgo-build-excerpt.log").read_text()
    cut = "\n".join(line for line in text.splitlines() if "] test_" not in line)
    assert smoke.profile_evidence(cut).problem() == (
        "PGO build without a profile run (no regrtest --pgo run in the build log)"
    )
