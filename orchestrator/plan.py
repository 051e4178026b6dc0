"""Pure planning: matrix + version → ordered build jobs, tags and manifest lists. No I/O.

``expand(matrix, "3.8.0b3")`` gives one ``Job`` per (variant, architecture) of the line, in
matrix order (variants in the line's order, each variant's architectures in its listed order),
with a stable id (``3.8.0b3-buster-arm32v7``), its OCI platform, the Dockerfile it builds, its
tags (Docker Official Images algebra, see ``orchestrator.tags``) and the combinations left out,
each with the reason. Manifest lists follow the same order, which is the order the seed report
shows (python:3.8-rc = buster's 7 Linux entries, then the three Windows Server Core ones).

Each job carries the build strategy it asks for (``lines.<name>.strategies``, or ``strategy=``
from ``--strategy`` for every job; ``auto`` when neither says): how it is really built depends on
its builder and the templates, and is settled by ``orchestrator.strategy.resolve_plan``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from orchestrator.errors import UsageError
from orchestrator.matrix import AUTO, CROSS, STRATEGIES, Line, Matrix, Variant
from orchestrator.platforms import ARCHES, Platform, suggest
from orchestrator.tags import manifest_lists, variant_tags

DOCKERFILES = PurePosixPath("dockerfiles")


@dataclass(frozen=True)
class Job:
    """One image to build: one variant of one Python release for one platform."""

    id: str
    version: str
    line: str
    variant: str
    arch: str
    platform: Platform
    family: str
    parent: str
    dockerfile: PurePosixPath
    context: PurePosixPath
    build_args: tuple[tuple[str, str], ...]
    tags: tuple[str, ...]
    shared_tags: tuple[str, ...]
    builder: str | None
    pgo: bool
    profile_task: str | None
    # How it is built: what the matrix (or --strategy) asks for, ``auto`` when neither says,
    # until ``strategy.resolve_plan`` settles it (native, emulate or cross) with its Dockerfile.
    strategy: str = AUTO

    @property
    def all_tags(self) -> tuple[str, ...]:
        return self.tags + self.shared_tags

    @property
    def is_windows(self) -> bool:
        return self.platform.is_windows

    @property
    def emulated(self) -> bool:
        """Needs qemu user emulation on an x86-64 build machine."""
        return ARCHES[self.arch].emulated_on_x86_64


@dataclass(frozen=True)
class Excluded:
    """A combination that is not built, and why."""

    id: str
    variant: str
    arch: str
    reason: str


@dataclass(frozen=True)
class Plan:
    version: str
    line: str
    jobs: tuple[Job, ...]
    excluded: tuple[Excluded, ...]
    manifests: tuple[tuple[str, tuple[str, ...]], ...]

    def job(self, job_id: str) -> Job:
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise UsageError(
            f"no job {job_id!r} in the plan for {self.version}"
            f"{suggest(job_id, [j.id for j in self.jobs])}"
        )

    def tag_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.manifests)


def dockerfile_path(line: Line, variant: Variant, arch: str, strategy: str = AUTO) -> PurePosixPath:
    """Where the Dockerfile of this job lives.

    A job whose architecture has its own PGO profile task builds its own Dockerfile
    (``dockerfiles/3.8-rc/buster/arm32v7/Dockerfile``); every other job of the variant shares
    ``dockerfiles/3.8-rc/buster/Dockerfile``. A ``cross`` job builds the variant's cross
    Dockerfile in a ``cross`` folder beside it (``dockerfiles/3.13/bookworm/cross/Dockerfile``,
    ``…/buster/arm32v7/cross/Dockerfile`` with its own profile task); native and emulated jobs
    build the same one.
    """
    base = DOCKERFILES / line.name / variant.name
    if line.profile_task_for(variant.name, arch) is not None:
        base = base / arch
    if strategy == CROSS:
        base = base / CROSS
    return base / "Dockerfile"


def profile_task_text(matrix: Matrix, name: str | None) -> str | None:
    """The PROFILE_TASK value as make sees it (words joined by single spaces)."""
    return None if name is None else " ".join(matrix.profile_tasks[name])


def make_job(
    matrix: Matrix, line: Line, variant: Variant, arch: str, strategy: str | None = None
) -> Job:
    """The job of ``variant`` of ``line`` for ``arch``; ``strategy`` replaces the matrix's."""
    own, shared = variant_tags(line, variant)
    requested = strategy or line.strategy_for(variant.name, arch)
    dockerfile = dockerfile_path(line, variant, arch, requested)
    windows = variant.family == "windowsservercore"
    pgo = line.pgo and not windows  # the Windows images install python.org's own build
    return Job(
        id=f"{line.version}-{variant.name}-{arch}",
        version=line.version,
        line=line.name,
        variant=variant.name,
        arch=arch,
        platform=ARCHES[arch].platform.with_os_version(variant.os_version),
        family=variant.family,
        parent=variant.parent,
        dockerfile=dockerfile,
        context=dockerfile.parent,
        build_args=line.build_args,
        tags=own,
        shared_tags=shared,
        builder=matrix.builders.get(arch),
        pgo=pgo,
        profile_task=profile_task_text(matrix, line.profile_task_for(variant.name, arch))
        if pgo
        else None,
        strategy=requested,
    )


def all_jobs(matrix: Matrix, line: Line) -> tuple[Job, ...]:
    """Every job of a line, unfiltered, in matrix order."""
    return tuple(
        make_job(matrix, line, matrix.variants[v], arch)
        for v in line.variants
        for arch in matrix.variants[v].arches
    )


def expand(
    matrix: Matrix,
    version: str,
    *,
    arches: Sequence[str] = (),
    variants: Sequence[str] = (),
    strategy: str | None = None,
) -> Plan:
    """The plan for ``version`` (a release like ``3.8.0b3``, or a line name or alias).

    ``arches``/``variants`` narrow the plan; names that the matrix does not know raise
    UsageError (exit 2) with a "did you mean" hint, as does a selection that leaves no job.
    ``strategy`` (``--strategy``) replaces what the matrix asks for, for every job.
    """
    line = matrix.line_for(version)
    _check_selection(matrix, line, arches, variants, strategy)
    jobs: list[Job] = []
    excluded: list[Excluded] = []
    line_arches = [a for v in line.variants for a in matrix.variants[v].arches]
    for vname in line.variants:
        variant = matrix.variants[vname]
        windows = variant.family == "windowsservercore"
        # Architectures of the same OS that some other variant of this line builds.
        others = [
            a
            for a in dict.fromkeys(line_arches)
            if ARCHES[a].is_windows == windows and a not in variant.arches
        ]
        for arch in others:
            excluded.append(
                Excluded(
                    f"{line.version}-{vname}-{arch}",
                    vname,
                    arch,
                    f"variant {vname} is not built for {arch} (variants.{vname}.arches)",
                )
            )
        for arch in variant.arches:
            job_id = f"{line.version}-{vname}-{arch}"
            if variants and vname not in variants:
                excluded.append(Excluded(job_id, vname, arch, "not selected by --variant"))
            elif arches and arch not in arches:
                excluded.append(Excluded(job_id, vname, arch, "not selected by --arch"))
            else:
                jobs.append(make_job(matrix, line, variant, arch, strategy))
    for vname in matrix.variants:
        if vname not in line.variants:
            excluded.append(
                Excluded(
                    f"{line.version}-{vname}",
                    vname,
                    "*",
                    f"line {line.name} has no {vname} variant (lines.{line.name}.variants)",
                )
            )
    if not jobs:
        raise UsageError(
            f"no job of {line.version} matches --arch {' '.join(arches) or '*'} "
            f"--variant {' '.join(variants) or '*'}"
        )
    return Plan(
        version=line.version,
        line=line.name,
        jobs=tuple(jobs),
        excluded=tuple(excluded),
        manifests=manifest_lists((job.id, job.all_tags) for job in jobs),
    )


def _check_selection(
    matrix: Matrix,
    line: Line,
    arches: Sequence[str],
    variants: Sequence[str],
    strategy: str | None = None,
) -> None:
    problems: list[str] = []
    if strategy is not None and strategy not in STRATEGIES:
        hint = suggest(strategy, STRATEGIES)
        problems.append(f"--strategy: unknown strategy {strategy!r}{hint}")
    for a in arches:
        if a not in ARCHES:
            problems.append(f"--arch: unknown architecture {a!r}{suggest(a, list(ARCHES))}")
    for v in variants:
        if v in matrix.variants and v not in line.variants:
            problems.append(
                f"--variant: line {line.name} has no variant {v!r} "
                f"(it has {', '.join(line.variants)})"
            )
        elif v not in line.variants:
            hint = suggest(v, list(line.variants))
            problems.append(f"--variant: unknown variant {v!r}{hint}")
    if problems:
        raise UsageError(problems)
