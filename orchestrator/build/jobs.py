"""The build's job model: what one job will run (``JobPlan``), and what a run did (``Outcome``).

A ``JobPlan`` is decided before any build starts (``prepare``): the job (its strategy settled),
its route, content key, key tag, exact buildx argv, smoke checks and log file. Results are
``results.JobResult``; a job that is not built gets its reason through ``not_built``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator import buildx, policy, smoke
from orchestrator.conformance import Conformance
from orchestrator.matrix import CROSS, EMULATE, NATIVE
from orchestrator.plan import Job, Plan
from orchestrator.platforms import Platform
from orchestrator.results import JobResult, JobStatus

# The build arguments orchestrate itself sets, where a template declares them.
DOWNLOAD_ARG = "PYTHON_DOWNLOAD_BASE"
PROFILE_ARG = "PYTHON_BUILD_PROFILE"
# The cross Dockerfiles' build-python image: orchestrate passes the native job's pushed image.
BUILD_PYTHON_ARG = "BUILD_PYTHON"

INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class JobPlan:
    """Everything needed to build one job, decided before any build starts."""

    job: Job
    route: buildx.Route
    key: str
    ref: str  # <registry>/<repository>:build-<key12>-<arch>
    argv: tuple[str, ...]
    checks: tuple[smoke.Check, ...]
    log_file: Path
    build_args: tuple[tuple[str, str], ...]
    # Jobs of the run this one starts after (``schedule``): a cross job after its variant's
    # native job on the build platform (``cross_after``).
    after: tuple[str, ...] = ()
    # A cross job's conformance check (after the smoke test, before the push); None otherwise.
    conformance: Conformance | None = None
    # A cross job whose Dockerfile takes BUILD_PYTHON: the native job whose pushed image it
    # takes as its build-python stage, when that job has one (``planjob.with_build_python``).
    build_python_from: str | None = None

    @property
    def id(self) -> str:
        return self.job.id

    @property
    def runs_profile(self) -> bool:
        """A PGO build whose profile run really happens (not ``--profile quick``): its log
        must show the run (``smoke.profile_evidence``)."""
        return self.job.pgo and dict(self.build_args).get(PROFILE_ARG) != "quick"

    @property
    def strategy(self) -> str:
        """How the job is built (settled by ``strategy.resolve_plan``): native, emulate, cross."""
        return self.job.strategy

    @property
    def heavy(self) -> bool:
        """Takes two build slots (``schedule.cost``): built under emulation, or running a PGO
        profile. A cross job compiles natively on the build platform: heavy only with PGO."""
        return self.strategy == EMULATE or self.runs_profile


def cross_after(plan: Plan, build_platform: Platform) -> dict[str, tuple[str, ...]]:
    """For each cross job of ``plan``, the native job of the same version and variant on the
    build platform, when the plan has one: the cross Dockerfile's ``build-python`` stage is
    that job's image instruction for instruction, so started after it, the cross job takes
    those layers from the build cache instead of compiling CPython twice at once."""
    native = {
        (j.version, j.variant): j.id
        for j in plan.jobs
        if j.strategy == NATIVE and j.platform == build_platform
    }
    return {
        j.id: (native[(j.version, j.variant)],)
        for j in plan.jobs
        if j.strategy == CROSS and (j.version, j.variant) in native
    }


def not_built(job: Job, reason: str, key: str | None, repository: str) -> JobResult:
    """The result of a job that was not built (blocked, not started, interrupted, dry run)."""
    return JobResult(
        job.id,
        JobStatus.NOT_BUILT,
        job.platform,
        repository,
        None,
        key,
        None,
        reason,
        strategy=job.strategy,
    )


@dataclass(frozen=True)
class Outcome:
    """What a run did: every job's result, every tag's outcome, and how it ended."""

    plan: Plan
    results: tuple[JobResult, ...]
    tags: tuple[policy.TagOutcome, ...]
    interrupted: bool = False
    dry_run: bool = False
    published: bool = False  # lists were assembled (not --push-by-digest, not interrupted)
    commands: tuple[tuple[str, str], ...] = ()  # dry run: (job id, shell-quoted argv or why not)
    reports: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
