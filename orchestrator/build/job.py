"""Step 7 for one job: build, the PGO evidence check, smoke test, push; failures as results.

Every failure becomes a ``JobResult`` (FAILED with a one-line reason and the last lines of the
job's log, or NOT_BUILT "interrupted"), never an error: one job's failure is the run's
business, not an exception's.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from orchestrator import buildx, conformance, proc, retrying, smoke
from orchestrator.build.jobs import INTERRUPTED, JobPlan
from orchestrator.build.options import BuildOptions
from orchestrator.build.progress import ProgressView, State
from orchestrator.errors import (
    CheckFailed,
    CommandFailed,
    OrchestratorError,
    WriteFailed,
    first_line,
)
from orchestrator.files import why
from orchestrator.results import JobResult, JobStatus

T = TypeVar("T")

LOG_TAIL = 25


class Interrupted(Exception):
    """Raised inside a job when the run was interrupted between two steps."""


def build_job(
    jp: JobPlan,
    *,
    options: BuildOptions,
    view: ProgressView,
    interrupted: threading.Event,
    runner: proc.CommandRunner = proc.run_command,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> JobResult:
    """Build, smoke-test and push one job; every failure becomes a JobResult, never an error.

    The build is retried only for transient failures (``retrying.is_transient``: a registry or
    network hiccup while pulling); the push is retried on its own (``retrying.for_push``: twice
    the attempts), without rebuilding, since the image is in the engine's store. A compile error
    or a failed smoke test is final.
    """
    job = jp.job
    start = clock()
    try:
        jp.log_file.parent.mkdir(parents=True, exist_ok=True)
        jp.log_file.write_text(f"# {job.id} on {jp.route.describe()}, content key {jp.key}\n")
    except OSError as exc:  # a full disk: the run stops, naming the file (checked writable)
        raise WriteFailed(why(jp.log_file, exc)) from exc

    def guarded(step: Callable[[], T]) -> Callable[[], T]:
        def call() -> T:
            if interrupted.is_set():
                raise Interrupted
            return step()

        return call

    def result(status: JobStatus, **kw: object) -> JobResult:
        return JobResult(
            job_id=job.id,
            status=status,
            platform=job.platform,
            repository=options.image_repository,
            content_key=jp.key,
            log=str(jp.log_file),
            strategy=jp.strategy,
            **kw,  # type: ignore[arg-type]
        )

    try:
        view.update(job.id, State.BUILDING, jp.route.describe())
        retrying.call(
            guarded(lambda: buildx.build(jp.argv, log_file=jp.log_file, runner=runner)),
            policy=options.policy,
            what=f"build {job.id}",
            sleep=sleep,
        )
        if jp.runs_profile:
            problem = smoke.profile_evidence(jp.log_file.read_text(errors="replace")).problem()
            if problem:
                raise CheckFailed(problem)
        if jp.checks:
            view.update(job.id, State.SMOKE)
            guarded(lambda: smoke.run_checks(jp.checks, log_file=jp.log_file, runner=runner))()
        if jp.conformance is not None:
            check = jp.conformance
            view.update(job.id, State.CONFORMANCE, f"{len(check.tests)} tests under emulation")
            retrying.call(
                guarded(
                    lambda: conformance.run_conformance(check, log_file=jp.log_file, runner=runner)
                ),
                policy=options.policy,
                what=f"conformance check of {job.id}",
                sleep=sleep,
            )
        view.update(job.id, State.PUSHING, jp.ref)
        digest = retrying.call(
            guarded(lambda: buildx.push(jp.route, jp.ref, log_file=jp.log_file, runner=runner)),
            policy=retrying.for_push(options.policy),
            what=f"push {job.id}",
            sleep=sleep,
        )
    except Interrupted:
        # KeyboardInterrupt is not caught here: it reaches ``schedule``, which stops the run.
        return result(JobStatus.NOT_BUILT, digest=None, seconds=None, reason=INTERRUPTED)
    except (CommandFailed, CheckFailed, OrchestratorError) as exc:
        if interrupted.is_set():
            return result(JobStatus.NOT_BUILT, digest=None, seconds=None, reason=INTERRUPTED)
        return result(
            JobStatus.FAILED,
            digest=None,
            seconds=round(clock() - start, 1),
            reason=failure_reason(exc),
            log_tail=log_tail(jp.log_file),
        )
    return result(JobStatus.BUILT, digest=digest, seconds=round(clock() - start, 1))


# What a build prints when the downloaded source is not what the matrix says (the Dockerfiles'
# ``sha256sum -c`` and ``gpg --verify`` steps), and how the summary says it.
_UNVERIFIED = (
    (
        re.compile(r"computed checksums? did NOT match"),
        "the downloaded source does not match its sha256 in matrix.yml",
    ),
    (re.compile(r"gpg: BAD signature"), "the downloaded source has a bad GPG signature"),
)


def failure_reason(exc: BaseException) -> str:
    """Why a job failed, in one line: a failed check as it says, a failed command by its step
    (a build that stopped at the source's verification says so)."""
    if isinstance(exc, CheckFailed):
        return str(exc)
    if isinstance(exc, CommandFailed):
        what = {"push": "push", "run": "smoke test"}.get(
            next((a for a in exc.argv if a in ("push", "build", "run")), ""), "build"
        )
        reason = f"{what} failed (exit code {exc.returncode})"
        if what == "build":
            why = next((say for pattern, say in _UNVERIFIED if pattern.search(exc.output)), None)
            if why:
                reason += f": source verification failed: {why}"
        return reason
    return first_line(exc)


def log_tail(path: Path, lines: int = LOG_TAIL) -> tuple[str, ...]:
    """The last lines of a job's log, for the summary of a failed job."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(line.rstrip() for line in text.splitlines()[-lines:])
