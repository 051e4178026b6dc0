"""Smoke test of a freshly built image, on its own platform, before anything is published.

Three ``docker run --rm --platform P IMAGE …`` commands (under qemu for emulated platforms):

1. ``python --version`` must print exactly ``Python <version>``;
2. ``python -c 'import ssl, sqlite3, zlib, bz2, lzma, ctypes[, readline, curses]'`` must work,
   and ``ssl`` must really link OpenSSL (``ssl.OPENSSL_VERSION``);
3. ``pip --version`` must run and name this Python (``(python X.Y)``).

Which modules a family must have, from what the upstream images contain: the Debian full
images (on ``buildpack-deps``, which carries ``libreadline-dev`` and ``libncursesw5-dev``) and the
Debian slim images (they install ``libreadline-dev``/``libncursesw5-dev`` to build and keep the
runtime libraries that ``ldd`` finds) both have ``readline`` and ``curses``; so do the Alpine
images (``readline-dev``, ``ncurses-dev`` in their ``.build-deps``, runtime deps kept by
``scanelf``). Windows images have neither (CPython's Windows build ships no ``readline`` and no
``_curses``) and are not smoke-tested here at all: there is no Windows engine.

Each command is a separate container so the log shows which check failed. ``--network none``:
a smoke test needs nothing from outside, and must not pass only because it could download.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from orchestrator import proc
from orchestrator.buildx import Route, docker
from orchestrator.errors import CheckFailed, CommandFailed
from orchestrator.platforms import Platform

log = structlog.get_logger(__name__)

BASE_MODULES = ("ssl", "sqlite3", "zlib", "bz2", "lzma", "ctypes")
TERMINAL_MODULES = ("readline", "curses")

# Families whose images carry readline and curses (see the module doc for the evidence).
_WITH_TERMINAL_MODULES = frozenset({"debian", "debian-slim", "alpine"})


def modules_for(family: str) -> tuple[str, ...]:
    """The modules a smoke test imports for an image of ``family``."""
    if family in _WITH_TERMINAL_MODULES:
        return BASE_MODULES + TERMINAL_MODULES
    return BASE_MODULES


def testable(platform: Platform) -> bool:
    """Linux images are smoke-tested here (natively or under qemu); Windows images are not."""
    return not platform.is_windows


@dataclass(frozen=True)
class Check:
    """One smoke-test command and what its output must show."""

    name: str
    argv: tuple[str, ...]
    expect: str  # a regular expression searched in stdout+stderr

    def verify(self, output: str) -> str | None:
        """None when the output shows what it must, else a one-line reason."""
        if re.search(self.expect, output, re.MULTILINE):
            return None
        shown = output.strip().splitlines()[-1] if output.strip() else "(no output)"
        return f"{self.name}: expected /{self.expect}/, got {shown!r}"


def checks(
    *, route: Route, image: str, platform: Platform, version: str, family: str
) -> tuple[Check, ...]:
    """The smoke-test commands for one image (pure)."""
    # --init: the engine's init is PID 1, not python. An emulated python that is PID 1 never
    # exits after Ctrl-C: on its way out it re-raises SIGINT on itself, and qemu-user waits for
    # that signal to end it, which the kernel never delivers to a PID 1 without a handler.
    run = [
        *docker(route), "run", "--rm", "--init", "--network", "none",
        "--platform", platform.oci, image,
    ]  # fmt: skip
    modules = modules_for(family)
    code = f"import {', '.join(modules)}; print('imports ok:', ssl.OPENSSL_VERSION)"
    major_minor = ".".join(version.split(".")[:2])
    return (
        Check("python --version", (*run, "python", "--version"), rf"^Python {re.escape(version)}$"),
        Check("imports", (*run, "python", "-c", code), r"^imports ok: OpenSSL "),
        Check(
            "pip --version",
            (*run, "pip", "--version"),
            rf"^pip \S+ from .* \(python {re.escape(major_minor)}\)$",
        ),
    )


def run_checks(
    to_run: Sequence[Check],
    *,
    log_file: Path,
    runner: proc.CommandRunner = proc.run_command,
    timeout: float = 600,
) -> None:
    """Run every check (output appended to the job's log); CheckFailed on the first failure."""
    for check in to_run:
        try:
            done = runner(check.argv, log_file=log_file, timeout=timeout)
        except CommandFailed as exc:
            raise CheckFailed(
                f"smoke test {check.name}: exit code {exc.returncode}: "
                f"{(exc.output.strip().splitlines() or ['(no output)'])[-1]}"
            ) from exc
        problem = check.verify(done.stdout + done.stderr)
        if problem:
            raise CheckFailed(f"smoke test {problem}")
        log.debug("smoke.passed", check=check.name)


# --------------------------------------------------------------------------- PGO evidence

# CPython's `profile-run-stamp` target: the announcement, then `./python $(PROFILE_TASK)`
# (3.13: `-m test --pgo --timeout=…`; 2019: `-m test.regrtest --pgo [tests…]`), then regrtest's
# progress lines ("0:00:03 load avg: 1.52 [ 3/44] test_bytes").
_PROFILE_ANNOUNCE = "Running code to generate profile data"
_PROFILE_COMMAND = re.compile(
    r"\./python(?:\.exe)?\s+(-m\s+test(?:\.regrtest)?\s+--pgo\b[^|\n]*?)\s*(?:\|\||$)",
    re.MULTILINE,
)
_REGRTEST_PROGRESS = re.compile(r"\[\s*\d+/\d+\]\s+test_\w+")
_CONFIGURE_PGO = re.compile(r"^(?:#\d+ [\d.]+ )?\+ \./configure\b.*", re.MULTILINE)
_EMPTY_TASK = re.compile(
    r"^(?:#\d+ [\d.]+ )?\+ make\b[^\n]*\bPROFILE_TASK=(?:''|\"\"|(?=\s)|$)", re.MULTILINE
)


@dataclass(frozen=True)
class ProfileEvidence:
    """What a build log shows about the PGO profile run."""

    configured: bool  # ./configure ran with --enable-optimizations (not a cached build)
    ran: bool  # the profile task ran: its command and regrtest's progress lines are there
    task: str | None  # the profile task as make ran it ("-m test --pgo --timeout=…")
    tests: int  # regrtest progress lines seen
    empty_task: bool  # some `make` got an empty PROFILE_TASK= (which silently skips profiling)

    def problem(self) -> str | None:
        """Why this log fails the PGO contract, or None."""
        if self.empty_task:
            return "make was given an empty PROFILE_TASK= (the profile run would be skipped)"
        if self.configured and not self.ran:
            return "PGO build without a profile run (no regrtest --pgo run in the build log)"
        return None


def profile_evidence(log: str) -> ProfileEvidence:
    """Read a build log (BuildKit plain progress, ``set -x`` traces) for the PGO profile run."""
    configured = any("--enable-optimizations" in m.group(0) for m in _CONFIGURE_PGO.finditer(log))
    command = _PROFILE_COMMAND.search(log)
    tests = len(_REGRTEST_PROGRESS.findall(log))
    return ProfileEvidence(
        configured=configured,
        ran=_PROFILE_ANNOUNCE in log and command is not None and tests > 0,
        task=command.group(1).strip() if command else None,
        tests=tests,
        empty_task=_EMPTY_TASK.search(log) is not None,
    )
