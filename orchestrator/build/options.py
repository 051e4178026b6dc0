"""``BuildOptions``: everything ``orchestrate build`` was asked to do, each option declared once.

A field given on the command line carries its flag in its metadata (``Flag``: names, help,
metavar, choices, how the flag's value becomes the field's, what makes it wrong), and
``commands.build`` derives the argparse flags and the mapping back from these declarations,
in field order (the order of ``--help``). Fields without a flag: ``root`` (``-C DIR`` or found
around the current directory), the log and state directories and the retry policy (tests).

Parsing does no I/O: ``download_base`` stays None unless ``--download-base`` is given, and the
build resolves it when it starts (``release.download_base``: the farm's source mirror when it
is up, else ``PYTHON_ORG``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import Field, dataclass, field, fields
from pathlib import Path
from typing import Any

from orchestrator import retrying
from orchestrator.build.schedule import default_jobs
from orchestrator.buildx import parse_builder_overrides
from orchestrator.errors import ConfigError, UsageError, printable
from orchestrator.matrix import STRATEGIES
from orchestrator.platforms import ARCHES
from orchestrator.registry.reference import host_problem, repository_problem
from orchestrator.workspace import Workspace

PYTHON_ORG = "https://www.python.org/ftp/python"
PROFILES = ("quick", "full")

FLAG = "orchestrate.flag"  # the metadata key of a field's Flag


@dataclass(frozen=True)
class Flag:
    """How one field of ``BuildOptions`` is given on the command line."""

    names: tuple[str, ...]  # ("--jobs", "-j"), or ("version",) for a positional argument
    help: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    type: Callable[[str], Any] | None = None
    repeat: bool = False  # may be given again; the field holds every value given
    switch: bool = False  # takes no value: given means True
    convert: Callable[[Any], Any] | None = None  # the flag's value → the field's; ConfigError
    check: Callable[[Any, Mapping[str, Any]], str | None] | None = None  # (value, all) → problem

    @property
    def dest(self) -> str:
        """Where argparse keeps the value: the first long name (or the positional's name)."""
        name = next((n for n in self.names if n.startswith("--")), self.names[0])
        return name.lstrip("-").replace("-", "_")

    def value_of(self, given: Any) -> Any:
        """The field's value for the flag's parsed value."""
        if self.convert is not None:
            return self.convert(given)
        return tuple(given) if self.repeat else given


def flag(
    *names: str,
    help: str,
    metavar: str | None = None,
    choices: tuple[str, ...] | None = None,
    type: Callable[[str], Any] | None = None,
    repeat: bool = False,
    switch: bool = False,
    convert: Callable[[Any], Any] | None = None,
    check: Callable[[Any, Mapping[str, Any]], str | None] | None = None,
) -> dict[str, Flag]:
    """Field metadata saying that the field is given on the command line as ``names``."""
    how = Flag(
        names,
        help,
        metavar=metavar,
        choices=choices,
        type=type,
        repeat=repeat,
        switch=switch,
        convert=convert,
        check=check,
    )
    return {FLAG: how}


def _at_least_one(jobs: int, given: Mapping[str, Any]) -> str | None:
    return f"--jobs {jobs}: must be at least 1" if jobs < 1 else None


def _only_with_push_by_digest(results: Path | None, given: Mapping[str, Any]) -> str | None:
    if results and not given["push_by_digest"]:
        return "--results: only with --push-by-digest (a CI fan-out job)"
    return None


def _builder_overrides(values: Sequence[str]) -> dict[str, str]:
    return parse_builder_overrides(values, list(ARCHES))


def _none_is_docker_hub(host: str) -> str | None:
    return None if host == "none" else host


# A download base goes into a build argument and a shell word: an http(s) URL and nothing a
# shell or a Dockerfile reads as more (no space, quote, backslash or $).
DOWNLOAD_BASE_RE = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/%+-]*)?")


def _registry_host(host: str, given: Mapping[str, Any]) -> str | None:
    problem = host_problem(host)
    return f"--registry {printable(host)}: {problem}" if problem else None


def _repository_name(name: str, given: Mapping[str, Any]) -> str | None:
    problem = repository_problem(name)
    return f"--repository {printable(name)}: {problem}" if problem else None


def _hub_mirror_host(host: str | None, given: Mapping[str, Any]) -> str | None:
    problem = host_problem(host) if host is not None else None
    return f"--hub-mirror {printable(host or '')}: {problem} or 'none'" if problem else None


def _download_base_url(url: str | None, given: Mapping[str, Any]) -> str | None:
    if url is None or DOWNLOAD_BASE_RE.fullmatch(url):
        return None
    return (
        f"--download-base {printable(url)}: not an http(s) URL like {PYTHON_ORG} "
        "(no spaces, quotes, backslashes or $)"
    )


@dataclass(frozen=True)
class BuildOptions:
    """Everything ``orchestrate build`` was asked to do."""

    version: str = field(
        metadata=flag("version", metavar="VERSION", help="release (3.13.5), line (3.13) or alias")
    )
    root: Path
    variants: tuple[str, ...] = field(
        default=(), metadata=flag("--variant", repeat=True, help="only this variant (repeat)")
    )
    arches: tuple[str, ...] = field(
        default=(), metadata=flag("--arch", repeat=True, help="only this architecture (repeat)")
    )
    registry: str = field(
        default="localhost:5000",
        metadata=flag("--registry", check=_registry_host, help="push here (default: %(default)s)"),
    )
    repository: str = field(
        default="python",
        metadata=flag(
            "--repository", check=_repository_name, help="repository (default: %(default)s)"
        ),
    )
    jobs: int = field(
        default_factory=default_jobs,
        metadata=flag(
            "--jobs",
            "-j",
            type=int,
            check=_at_least_one,
            help="build slots; emulated and PGO jobs take two (default: cores, %(default)s)",
        ),
    )
    dry_run: bool = field(
        default=False,
        metadata=flag("--dry-run", switch=True, help="print the plan and every buildx argv"),
    )
    keep_going: bool = field(
        default=False,
        metadata=flag(
            "--keep-going",
            switch=True,
            help="build every job even after a failure; with --require, publish lists without "
            "the platforms that failed when all required ones succeeded",
        ),
    )
    require: tuple[str, ...] = field(
        default=(),
        metadata=flag("--require", repeat=True, metavar="ARCH", help="see --keep-going"),
    )
    profile: str | None = field(
        default="quick",
        metadata=flag(
            "--profile",
            choices=PROFILES,
            help="PYTHON_BUILD_PROFILE of the 3.13 templates: quick (no PGO/LTO, the farm demo's "
            "default) or full (--enable-optimizations --with-lto, the upstream build)",
        ),
    )
    download_base: str | None = field(
        default=None,
        metadata=flag(
            "--download-base",
            metavar="URL",
            check=_download_base_url,
            help="PYTHON_DOWNLOAD_BASE (default: the farm's source mirror when it is up, "
            f"else {PYTHON_ORG})",
        ),
    )
    builders: Mapping[str, str] = field(
        default_factory=dict,
        metadata=flag(
            "--builder",
            repeat=True,
            metavar="ARCH=NAME",
            convert=_builder_overrides,
            help="build ARCH on this buildx builder or docker context "
            "(context:NAME / builder:NAME)",
        ),
    )
    strategy: str | None = field(
        default=None,
        metadata=flag(
            "--strategy",
            choices=STRATEGIES,
            help="build every job this way: native, emulate (qemu), cross (cross-compiled on the "
            "build platform) or auto (native where the builder runs the platform, else cross "
            "where a cross template exists, else emulate); default: what matrix.yml says",
        ),
    )
    push_by_digest: bool = field(
        default=False,
        metadata=flag(
            "--push-by-digest",
            switch=True,
            help="push the per-platform images only (no tags); with --results, for `manifest`",
        ),
    )
    results: Path | None = field(
        default=None,
        metadata=flag(
            "--results",
            type=Path,
            metavar="FILE",
            check=_only_with_push_by_digest,
            help="write results here",
        ),
    )
    oci_index: bool = field(
        default=False,
        metadata=flag("--oci-index", switch=True, help="publish OCI indexes, not Docker lists"),
    )
    no_cache: bool = field(
        default=False,
        metadata=flag(
            "--no-cache",
            switch=True,
            help="build every step again (buildx --no-cache); jobs whose key the registry holds "
            "are still skipped",
        ),
    )
    hub_mirror: str | None = field(
        default="localhost:5000",
        metadata=flag(
            "--hub-mirror",
            metavar="HOST",
            convert=_none_is_docker_hub,
            check=_hub_mirror_host,
            help="where Docker Hub parent images are looked up (the engine's registry mirror; "
            "default: %(default)s, 'none' for Docker Hub itself)",
        ),
    )
    logs_dir: Path | None = None  # default: <root>/logs
    state_dir: Path | None = None  # default: <root>/.orchestrate
    policy: retrying.Policy = retrying.DEFAULT

    @property
    def image_repository(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def logs(self) -> Path:
        return (self.logs_dir or Workspace(self.root).logs) / self.version

    @property
    def state(self) -> Path:
        return self.state_dir or Workspace(self.root).state


def flagged() -> list[tuple[Field[Any], Flag]]:
    """Every field given on the command line, with its flag, in ``--help`` order."""
    return [(f, f.metadata[FLAG]) for f in fields(BuildOptions) if FLAG in f.metadata]


def from_flags(given: Mapping[str, Any]) -> dict[str, Any]:
    """The fields' values for the flags' parsed values (both by field name).

    UsageError lists every bad flag at once: first what the checks find, then the values that
    do not convert (``--builder``).
    """
    values: dict[str, Any] = {}
    unconverted: list[str] = []
    for f, how in flagged():
        try:
            values[f.name] = how.value_of(given[f.name])
        except ConfigError as exc:
            unconverted += exc.problems
    problems = [
        problem
        for f, how in flagged()
        if how.check is not None
        and f.name in values
        and (problem := how.check(values[f.name], values))
    ]
    if problems or unconverted:
        raise UsageError([*problems, *unconverted])
    return values
