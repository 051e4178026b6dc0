"""The whole build, in order: prepare, build the jobs, publish the lists, write the reports.

``build_release`` settles the download base (``download_base``: the farm's source mirror is
looked up here, not while parsing), runs steps 1-6 (``prepare``), then either ``preview``
(``--dry-run``: every job's exact argv, nothing built or written) or step 7 (``build_jobs``:
``schedule`` + ``job.build_job``, live progress, each finished job written to the journal at
once), step 8 (the manifest lists, ``publish.publish``) and step 9 (``write_reports``). No list
is published with ``--push-by-digest`` or after an interruption (a partial run never moves a
tag).

Ctrl-C (or SIGTERM) stops scheduling (``schedule`` handles both signals while jobs run; before
that, ``commands.build`` turns SIGTERM into KeyboardInterrupt with ``proc.sigterm_interrupts``,
as Ctrl-C already is), interrupts the running ``docker`` children of this process
(``proc.stop_children``), marks the jobs that did not finish NOT_BUILT "interrupted",
publishes nothing and exits 130. The same command afterwards continues where it stopped:
finished jobs are found in the registry under their content-key tags and skipped.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import replace

import structlog

from orchestrator import policy, report
from orchestrator import publish as publishmod
from orchestrator import results as resultsmod
from orchestrator.build.connections import Connections, RegistryLookups
from orchestrator.build.job import build_job
from orchestrator.build.jobs import INTERRUPTED, JobPlan, Outcome, not_built
from orchestrator.build.journal import Journal
from orchestrator.build.journal import path_for as journal_path
from orchestrator.build.options import PYTHON_ORG, BuildOptions
from orchestrator.build.planjob import with_build_python
from orchestrator.build.prepare import Prepared, check_input, prepare
from orchestrator.build.progress import State
from orchestrator.build.schedule import schedule
from orchestrator.errors import UsageError
from orchestrator.files import unwritable
from orchestrator.plan import Plan
from orchestrator.registry.view import BuildRegistry
from orchestrator.results import JobResult, JobStatus
from orchestrator.workspace import Workspace

log = structlog.get_logger(__name__)


def build_release(options: BuildOptions, connections: Connections | None = None) -> Outcome:
    """All the steps, in order. Raises only for bad input (before anything is built).

    Local input first: every output path (``check_outputs``), the matrix and the plan; only then
    the network (the farm's source mirror, the registries' reachability, the rest of prepare).
    """
    connections = connections or Connections()
    check_outputs(options)
    checked = check_input(options)
    # The run record is local input too: a bad one is said before the network is asked.
    journal = (
        None
        if options.dry_run
        else Journal(
            journal_path(options.state, options.image_repository, checked[1].version),
            checked[1].version,
        )
    )
    options = replace(options, download_base=download_base(options, connections.source_mirror))
    log.info(
        "build.start",
        version=options.version,
        registry=options.image_repository,
        jobs=options.jobs,
        profile=options.profile,
        download_base=options.download_base,
    )
    if connections.registry is None:
        build_registry = BuildRegistry(hub_mirror=options.hub_mirror, policy=options.policy)
        for host in dict.fromkeys(h for h in (options.hub_mirror, options.registry) if h):
            build_registry.reachable(host)
        reg: RegistryLookups = build_registry
    else:
        reg = connections.registry
    prep = prepare(options, connections, reg, checked=checked)
    if options.dry_run:
        return preview(prep, options)
    plan = prep.plan
    assert journal is not None
    final, interrupted = build_jobs(prep, options, connections, journal)
    results = tuple(final[j.id] for j in plan.jobs)
    if options.results:
        resultsmod.write_results(options.results, plan.version, results)
    notes: list[str] = []
    if any(j.is_windows for j in plan.jobs):
        notes.append("Windows images are not smoke-tested here (no Windows engine).")
    if interrupted:
        notes.append("Interrupted: no tag was published; run the same command to continue.")
        return Outcome(plan, results, (), interrupted=True, notes=tuple(notes))
    if options.push_by_digest:
        notes.append(f"--push-by-digest: no tag published; results: {options.results or '-'}")
        return Outcome(plan, results, (), notes=tuple(notes))
    publish = connections.publish or publishmod.publish
    outcomes = publish(
        plan,
        list(results),
        repository=options.image_repository,
        require=options.require,
        keep_going=options.keep_going,
        oci_index=options.oci_index,
    )
    reporter = connections.report or write_reports
    reports = reporter(plan, outcomes, results, options)
    return Outcome(
        plan,
        results,
        tuple(outcomes),
        published=True,
        reports=tuple(reports),
        notes=tuple(notes),
    )


def check_outputs(options: BuildOptions) -> None:
    """Every path the build will write, checked before any work (``files.unwritable``):
    ``--results``, and unless ``--dry-run`` the logs, the run record and the reports. A build
    must not run for an hour and then lose its results to a path that could never be written.
    """
    problems = []
    if options.results and (problem := unwritable(options.results)):
        problems.append(f"--results {options.results}: cannot be written: {problem}")
    if not options.dry_run:
        for what, directory in (
            ("logs", options.logs),
            ("run records", options.state),
            ("reports", Workspace(options.root).reports),
        ):
            if problem := unwritable(directory, directory=True):
                problems.append(f"{what} cannot be written: {problem}")
    if problems:
        raise UsageError(problems)


def download_base(options: BuildOptions, source_mirror: Callable[[], str | None]) -> str:
    """``--download-base``, else the farm's CPython source mirror when it is up and answers,
    else python.org."""
    return options.download_base or source_mirror() or PYTHON_ORG


def preview(prep: Prepared, options: BuildOptions) -> Outcome:
    """``--dry-run``: the plan and the exact argv of every job; nothing built or written."""
    commands: list[tuple[str, str]] = []
    results: list[JobResult] = []
    for job in prep.plan.jobs:
        if job.id in prep.jobs:
            jp = prep.jobs[job.id]
            commands.append((job.id, shlex.join(jp.argv)))
            results.append(not_built(job, "dry run: would build", jp.key, options.image_repository))
        else:
            r = prep.decided[job.id]
            commands.append((job.id, f"# {r.status.value}: {r.reason}"))
            results.append(r)
    return Outcome(prep.plan, tuple(results), (), dry_run=True, commands=tuple(commands))


def build_jobs(
    prep: Prepared, options: BuildOptions, connections: Connections, journal: Journal
) -> tuple[dict[str, JobResult], bool]:
    """Step 7: build what must be built, live progress, every finished job recorded at once."""
    final = dict(prep.decided)

    def remember(r: JobResult) -> None:
        journal.update(
            r.job_id,
            status=r.status.value,
            content_key=r.content_key,
            digest=r.digest,
            seconds=r.seconds,
            reason=r.reason,
            strategy=r.strategy,
        )

    for r in prep.decided.values():
        remember(r)
    strategies = {j.id: j.strategy for j in prep.plan.jobs}
    with connections.view([j.id for j in prep.plan.jobs], strategies=strategies) as view:
        for r in prep.decided.values():
            view.update(r.job_id, _state_of(r), r.reason or "")

        finished = dict(prep.decided)  # a cross job's native image comes from here

        def run_one(jp: JobPlan) -> JobResult:
            result = build_job(
                with_build_python(jp, finished, options),
                options=options,
                view=view,
                interrupted=connections.interrupted,
                runner=connections.runner,
                sleep=connections.sleep,
            )
            remember(result)
            finished[jp.id] = result
            view.update(jp.id, _state_of(result), result.reason or result.digest or "")
            log.info(
                "job.finished",
                job=jp.id,
                status=result.status.value,
                strategy=result.strategy,
                digest=result.digest,
                seconds=result.seconds,
                reason=result.reason,
            )
            return result

        to_build = [prep.jobs[j.id] for j in prep.plan.jobs if j.id in prep.jobs]
        built, interrupted = schedule(
            to_build,
            run_one,
            slots=options.jobs,
            interrupted=connections.interrupted,
            stop=lambda r: not options.keep_going and r.status is JobStatus.FAILED,
            on_interrupt=connections.on_interrupt,
        )
        final.update(built)
        failed = next((r.job_id for r in built.values() if r.status is JobStatus.FAILED), None)
        for jp in to_build:
            if jp.id not in final:
                reason = (
                    INTERRUPTED
                    if interrupted
                    else f"not started: {failed} failed (--keep-going builds the rest)"
                )
                final[jp.id] = not_built(
                    jp.job, reason, prep.keys.get(jp.id), options.image_repository
                )
                remember(final[jp.id])
                view.update(jp.id, State.NOT_BUILT, reason)
    return final, interrupted


def _state_of(result: JobResult) -> State:
    return {
        JobStatus.BUILT: State.PUSHED,
        JobStatus.SKIPPED: State.SKIPPED,
        JobStatus.FAILED: State.FAILED,
        JobStatus.NOT_BUILT: State.NOT_BUILT,
    }[result.status]


def write_reports(
    plan: Plan,
    outcomes: Sequence[policy.TagOutcome],
    results: Sequence[JobResult],
    options: BuildOptions,
) -> list[str]:
    """Step 9: the release report (markdown + JSON, ``reports/<repository>/<tag>.*``) of every
    tag this run published, read back from the registry by ``orchestrator.report``."""
    by_id = {r.job_id: r for r in results}
    written: list[str] = []
    for o in outcomes:
        if not o.published:
            continue
        entries = [by_id[i] for i in o.entries if i in by_id]
        seconds = [r.seconds for r in entries if r.seconds is not None]
        keys = {r.content_key for r in entries}
        job = report.JobInfo(
            status="built" if any(r.status is JobStatus.BUILT for r in entries) else "skipped",
            duration_seconds=max(seconds) if seconds else None,
            content_key=keys.pop() if len(keys) == 1 else None,
            strategies=tuple((r.job_id, r.strategy) for r in entries if r.strategy),
        )
        md, js = report.publish_report(
            f"{options.image_repository}:{o.tag}", Workspace(options.root).reports, job=job
        )
        written += [str(md), str(js)]
    return written
