"""What matrix.yml describes, as frozen dataclasses: lines, variants, their defaults and pip.

A ``Matrix`` is only ever built by the checker (``orchestrator.matrix.checker``) from a document
that passed every check, so the values here are known to be well formed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.errors import ConfigError
from orchestrator.platforms import suggest

FAMILIES = ("debian", "debian-slim", "alpine", "windowsservercore")
# How a job is built: natively, under qemu emulation, or cross-compiled on the build platform.
AUTO, NATIVE, EMULATE, CROSS = "auto", "native", "emulate", "cross"
BUILD_STRATEGIES = (NATIVE, EMULATE, CROSS)
# What ``lines.<name>.strategies`` (and ``--strategy``) may ask for: ``auto`` lets
# ``orchestrator.strategy`` choose per job.
STRATEGIES = (AUTO, *BUILD_STRATEGIES)
# CPython release versions: 3.8.0, 3.8.0b3, 3.13.0rc1 (no dev/post releases are published).
# A whole-value pattern: checked with fullmatch.
VERSION_RE = re.compile(
    r"(?P<major>[0-9]+)\.(?P<minor>[0-9]+)\.(?P<micro>[0-9]+)(?P<pre>(a|b|rc)[0-9]+)?"
)
# The regrtest tests the conformance check of a cross-built image runs when matrix.yml names
# none (``conformance_tests``): the modules a wrong cross build breaks first (C extensions and
# the libraries they link, the FFI, number formats and byte order, sysconfig's view of itself).
# The longest under emulation first (test_ssl 79 s, test_decimal 56 s, test_math 35 s for
# arm64 on 2 cores): regrtest -j2 hands tests out in this order, so the short ones fill in
# beside the long ones instead of one long test running alone at the end.
DEFAULT_CONFORMANCE_TESTS = (
    "test_ssl",
    "test_decimal",
    "test_math",
    "test_ctypes",
    "test_hashlib",
    "test_bz2",
    "test_sqlite3",
    "test_struct",
    "test_lzma",
    "test_zlib",
    "test_sysconfig",
)
# A regrtest test name as ``conformance_tests`` may list it (checked with fullmatch).
CONFORMANCE_TEST_RE = re.compile(r"test_[a-z0-9_]+")


@dataclass(frozen=True)
class Pip:
    """pip installed by get-pip.py (2019-era lines); absent when the build uses ensurepip."""

    version: str
    get_pip_url: str
    get_pip_sha256: str


class _LineRule:
    """A rule of a line for some of its variants and architectures (empty = all of them)."""

    variants: tuple[str, ...]
    arches: tuple[str, ...]

    def matches(self, variant: str, arch: str) -> bool:
        return (not self.variants or variant in self.variants) and (
            not self.arches or arch in self.arches
        )


@dataclass(frozen=True)
class ProfileTaskRule(_LineRule):
    """``task`` is the PGO profile task for these variants and arches of a line."""

    task: str
    variants: tuple[str, ...]
    arches: tuple[str, ...]


@dataclass(frozen=True)
class StrategyRule(_LineRule):
    """``strategy`` (one of ``STRATEGIES``) is how these variants and arches of a line build."""

    strategy: str
    variants: tuple[str, ...]
    arches: tuple[str, ...]


@dataclass(frozen=True)
class Variant:
    """An OS variant: its base image, template family and architectures."""

    name: str
    family: str
    template: str  # template set: templates/<template>/<family>.Dockerfile.j2
    parent: str
    arches: tuple[str, ...]
    os_version: str | None = None  # Windows: the base image's OS version
    line: int = 0


@dataclass(frozen=True)
class Defaults:
    """Which variant gets the bare tags (debian), ``-slim`` (slim) and ``-alpine`` (alpine)."""

    debian: str | None = None
    slim: str | None = None
    alpine: str | None = None


@dataclass(frozen=True)
class Line:
    """A Python line (``3.8-rc``): its current release and everything that release needs."""

    name: str
    version: str
    aliases: tuple[str, ...]
    variants: tuple[str, ...]
    defaults: Defaults
    gpg_key: str | None
    sha256: str | None
    pip: Pip | None
    pgo: bool
    profile_tasks: tuple[ProfileTaskRule, ...]
    build_args: tuple[tuple[str, str], ...]
    strategies: tuple[StrategyRule, ...] = ()
    line: int = 0

    @property
    def prerelease(self) -> bool:
        m = VERSION_RE.fullmatch(self.version)
        return bool(m and m.group("pre"))

    @property
    def release(self) -> str:
        """``3.8.0`` for ``3.8.0b3`` (the Windows installer's directory on python.org)."""
        m = VERSION_RE.fullmatch(self.version)
        return f"{m.group('major')}.{m.group('minor')}.{m.group('micro')}" if m else self.version

    @property
    def version_tags(self) -> tuple[str, ...]:
        """The version words every tag of this line is made of: ``3.8.0b3, 3.8-rc, rc``."""
        return (self.version, self.name, *self.aliases)

    def profile_task_for(self, variant: str, arch: str) -> str | None:
        """The name of the profile task for this job (first matching rule), None = default."""
        for rule in self.profile_tasks:
            if rule.matches(variant, arch):
                return rule.task
        return None

    def strategy_for(self, variant: str, arch: str) -> str:
        """The strategy this job asks for (first matching rule); ``auto`` when none matches."""
        for rule in self.strategies:
            if rule.matches(variant, arch):
                return rule.strategy
        return AUTO


@dataclass(frozen=True)
class Matrix:
    """All of matrix.yml: the lines in file order; variants, profile tasks and builders by name;
    the conformance check's tests."""

    path: Path
    lines: tuple[Line, ...]
    variants: dict[str, Variant] = field(hash=False)
    profile_tasks: dict[str, tuple[str, ...]] = field(hash=False)
    builders: dict[str, str] = field(hash=False)
    # The regrtest tests the conformance check of a cross-built image runs.
    conformance_tests: tuple[str, ...] = DEFAULT_CONFORMANCE_TESTS

    def line_for(self, version_or_line: str) -> Line:
        """The line whose version (``3.8.0b3``) or name (``3.8-rc``) or alias (``rc``) this is."""
        for line in self.lines:
            if version_or_line in (line.version, line.name, *line.aliases):
                return line
        choices = [w for ln in self.lines for w in (ln.version, ln.name)]
        raise ConfigError(
            f"{self.path.name}: no Python line or version {version_or_line!r}"
            f"{suggest(version_or_line, choices)}"
        )
