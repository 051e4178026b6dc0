"""Step 10: the summary a build prints, and its exit code.

Every job (how it was built — native, emulate, cross —, built with digest and time, skipped
with reason, failed with reason and its last log lines, not built with reason) and every tag
(published with its list digest, or held and why).
"""

from __future__ import annotations

from orchestrator import policy
from orchestrator.build.jobs import Outcome
from orchestrator.build.options import BuildOptions
from orchestrator.build.progress import format_seconds
from orchestrator.plan import Plan
from orchestrator.results import JobStatus


def summary(outcome: Outcome) -> str:
    """Every job (built, skipped with reason, failed with its last log lines, not built) and
    every tag (published with its digest, or held back and why)."""
    plan = outcome.plan
    lines: list[str] = []
    counts: dict[str, int] = {}
    for r in outcome.results:
        counts[r.status.value] = counts.get(r.status.value, 0) + 1
    head = ", ".join(f"{n} {s}" for s, n in counts.items())
    lines.append(f"Jobs of {plan.version}: {head}")
    width = max((len(r.job_id) for r in outcome.results), default=0)
    oci_width = max((len(r.platform.oci) for r in outcome.results), default=0)
    how_width = max((len(r.strategy or "") for r in outcome.results), default=0)
    for r in outcome.results:
        secs = format_seconds(r.seconds) if r.seconds is not None else ""
        how = r.strategy or ""
        if outcome.dry_run:
            lines.append(f"  {r.job_id:<{width}}  {r.platform.oci:<{oci_width}}  {how}".rstrip())
            continue
        label = {"not-built": "not built"}.get(r.status.value, r.status.value)
        what = r.digest if r.status is JobStatus.BUILT else r.reason or ""
        column = f"{how:<{how_width}}  " if how_width else ""  # results that do not say: none
        lines.append(f"  {label:<9}  {r.job_id:<{width}}  {column}{secs:>6}  {what}".rstrip())
        if r.status is JobStatus.FAILED:
            lines.append(f"             {r.reason}; log: {r.log}")
            lines += [f"             | {t}" for t in r.log_tail[-10:]]
    if outcome.dry_run:
        lines.append("Commands (dry run, nothing built):")
        for job_id, cmd in outcome.commands:
            lines.append(f"  {job_id}:")
            lines.append(f"    {cmd}")
    elif outcome.tags:
        lines.append("Tags:")
        lines += [f"  {t}" for t in policy.summary_lines(outcome.tags)]
    elif not outcome.published:
        lines.append("Tags: none published")
    for path in outcome.reports:
        lines.append(f"Report: {path}")
    lines += list(outcome.notes)
    return "\n".join(lines) + "\n"


def exit_code(outcome: Outcome, options: BuildOptions) -> int:
    """0 only when everything required was published (or, with --push-by-digest, built)."""
    if outcome.interrupted:
        return 130
    if outcome.dry_run:
        return 0
    if not outcome.published:
        required = set(options.require) if options.keep_going and options.require else None
        ok = all(
            r.status in (JobStatus.BUILT, JobStatus.SKIPPED)
            for r in outcome.results
            if required is None or _arch_of(outcome.plan, r.job_id) in required
        )
        return 0 if ok else 1
    return 1 if policy.failed(outcome.tags) else 0


def _arch_of(plan: Plan, job_id: str) -> str:
    return plan.job(job_id).arch
