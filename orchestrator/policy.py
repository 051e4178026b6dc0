"""The tag-publishing policy: which tags of a plan may be published, held, required. No I/O.

Policy (issue 4, point 9): a tag of the plan is published only when every platform it lists is
available (its job was BUILT, or SKIPPED because the registry already holds that image, and a
digest is known). With ``keep_going`` and ``require``, a tag is published when every required
architecture among its jobs is available; the list then holds what is available, in plan order.
Otherwise the tag is held: its previous list stays untouched and the decision says which
platforms are missing and why. ``require`` without ``keep_going`` changes nothing (every
platform is required), so a failure can never shrink a list by accident.

A held tag is *required* (the run failed) unless ``keep_going`` with ``require`` was given and
none of the tag's jobs is of a required architecture — e.g. a Windows-only tag while no Windows
builder exists and ``--require amd64`` was asked for.

The list bytes themselves come from ``oci.list_bytes``: a Docker manifest list by default, an
OCI image index with ``oci_index=True``; each entry carries the per-platform manifest's media
type, size and digest as the registry holds them and the exact ``platform`` object (``variant``
v5/v6/v7/v8, and for Windows ``os.version`` as read from the image's config blob by
``orchestrator.publish``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestrator.errors import ConfigError, UsageError
from orchestrator.plan import Job, Plan
from orchestrator.platforms import ARCHES, Platform, suggest
from orchestrator.results import JobResult, JobStatus


@dataclass(frozen=True)
class Missing:
    """A platform of a tag that cannot go into its list, and why."""

    job_id: str
    platform: Platform
    why: str  # "failed: smoke test failed", "not built: no Windows builder", "no result"

    def describe(self) -> str:
        where = self.platform.oci
        if self.platform.os_version:
            where += f" {self.platform.os_version}"
        return f"{where} ({self.job_id}: {self.why})"


@dataclass(frozen=True)
class Decision:
    """What the policy says about one tag, before anything touches the registry."""

    tag: str
    publish: bool
    entries: tuple[str, ...]  # job ids that go into the list, in plan order
    missing: tuple[Missing, ...]  # the tag's platforms that are not available
    required: bool  # holding this tag fails the run
    reason: str | None  # why held (or, when publishing with platforms left out, what was left out)


@dataclass(frozen=True)
class TagOutcome:
    """What happened to one tag."""

    tag: str
    published: bool
    digest: str | None  # digest of the pushed list, when published
    entries: tuple[str, ...]  # job ids in the list, in plan order
    missing: tuple[str, ...]  # job ids of the tag that are not available
    reason: str | None  # why held back (or which platforms a keep-going list leaves out)
    required: bool = True
    unchanged: bool = False  # the tag already pointed at exactly this list


@dataclass(frozen=True)
class ListEntry:
    """One manifest-list entry, as the registry holds the per-platform manifest."""

    job_id: str
    media_type: str
    size: int
    digest: str
    platform: Platform


# --------------------------------------------------------------------------- checks


def check_results(plan: Plan, version: str, results: Sequence[JobResult]) -> None:
    """Results must be for this plan: same version, known job ids, matching platforms."""
    problems: list[str] = []
    if version != plan.version:
        problems.append(f"results are for version {version!r}, not {plan.version!r}")
    ids = [j.id for j in plan.jobs]
    by_id = {j.id: j for j in plan.jobs}
    for r in results:
        job = by_id.get(r.job_id)
        if job is None:
            problems.append(
                f"results: job {r.job_id!r} is not in the plan for {plan.version}"
                f"{suggest(r.job_id, ids)}"
            )
            continue
        want, got = job.platform, r.platform
        if (want.os, want.architecture, want.variant) != (got.os, got.architecture, got.variant):
            problems.append(
                f"results: job {r.job_id!r}: platform {got.oci} does not match the plan's "
                f"{want.oci}"
            )
    if problems:
        raise ConfigError(problems)


def _check_require(plan: Plan, require: Sequence[str]) -> None:
    problems: list[str] = []
    planned = {j.arch for j in plan.jobs}
    for arch in require:
        if arch not in ARCHES:
            problems.append(f"--require {arch}: unknown architecture{suggest(arch, list(ARCHES))}")
        elif arch not in planned:
            problems.append(
                f"--require {arch}: no job of the plan for {plan.version} builds it"
                f"{suggest(arch, sorted(planned))}"
            )
    if problems:
        raise UsageError(problems)


# --------------------------------------------------------------------------- the policy


def _why(result: JobResult | None) -> str:
    if result is None:
        return "no result"
    if result.status in (JobStatus.BUILT, JobStatus.SKIPPED) and result.digest is None:
        return f"{result.status.value} without a digest"
    text = {JobStatus.FAILED: "failed", JobStatus.NOT_BUILT: "not built"}.get(
        result.status, result.status.value
    )
    if not result.reason:
        return text
    # The build may already say it ("not built: no Windows builder"): do not say it twice.
    return result.reason if result.reason.startswith(text) else f"{text}: {result.reason}"


def decide(
    plan: Plan,
    results: Sequence[JobResult],
    *,
    require: Sequence[str] = (),
    keep_going: bool = False,
) -> list[Decision]:
    """The policy for every tag of the plan, in the plan's manifest order (pure)."""
    _check_require(plan, require)
    by_id = {r.job_id: r for r in results}
    narrowed = keep_going and bool(require)
    required_arches = set(require)
    decisions: list[Decision] = []
    for tag, job_ids in plan.manifests:
        jobs: list[Job] = [plan.job(i) for i in job_ids]
        ok = [j.id for j in jobs if (r := by_id.get(j.id)) is not None and r.available]
        missing = tuple(
            Missing(j.id, j.platform, _why(by_id.get(j.id))) for j in jobs if j.id not in ok
        )
        tag_required = not narrowed or any(j.arch in required_arches for j in jobs)
        if not missing:
            decisions.append(Decision(tag, True, tuple(ok), (), tag_required, None))
            continue
        listed = "; ".join(m.describe() for m in missing)
        if not narrowed:
            reason = f"missing {listed}"
            decisions.append(Decision(tag, False, (), missing, tag_required, reason))
            continue
        failed_required = [m for m in missing if plan.job(m.job_id).arch in required_arches]
        if failed_required:
            reason = "required platform missing: " + "; ".join(
                m.describe() for m in failed_required
            )
            decisions.append(Decision(tag, False, (), missing, tag_required, reason))
        elif not ok:
            reason = f"no platform available: missing {listed}"
            decisions.append(Decision(tag, False, (), missing, tag_required, reason))
        else:
            reason = f"published without {listed}"
            decisions.append(Decision(tag, True, tuple(ok), missing, tag_required, reason))
    return decisions


# --------------------------------------------------------------------------- summary


def failed(outcomes: Sequence[TagOutcome]) -> bool:
    """True when a required tag was held back (the run did not publish what it had to)."""
    return any(o.required and not o.published for o in outcomes)


def summary_lines(outcomes: Sequence[TagOutcome]) -> list[str]:
    """One line per tag: published with its digest, or held back and why."""
    width = max((len(o.tag) for o in outcomes), default=0)
    lines: list[str] = []
    for o in outcomes:
        if o.published:
            state = "unchanged" if o.unchanged else "published"
            count = f"{len(o.entries)} platform" + ("s" if len(o.entries) != 1 else "")
            text = f"{state:<9}  {o.tag:<{width}}  {o.digest}  ({count})"
            if o.reason:
                text += f"  {o.reason}"
        else:
            label = "held" if o.required else "held (not required)"
            text = f"{label:<9}  {o.tag:<{width}}  {o.reason}"
        lines.append(text)
    return lines
