"""What the plan and tag tests say about the real matrix: its 2019 architectures and Windows
variants, and a job's tags by variant."""

from __future__ import annotations

from orchestrator import plan

LINUX7 = ["amd64", "arm32v5", "arm32v7", "arm64v8", "i386", "ppc64le", "s390x"]
WINDOWS = ["windowsservercore-ltsc2016", "windowsservercore-1803", "windowsservercore-1809"]


def tags_of(p: plan.Plan, variant: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The own and shared tags of ``variant``'s jobs (asserting all its jobs agree)."""
    job = next(j for j in p.jobs if j.variant == variant)
    assert all(j.tags == job.tags for j in p.jobs if j.variant == variant)
    return job.tags, job.shared_tags
