"""The job model: which jobs run a PGO profile, which are heavy."""

from __future__ import annotations

from orchestrator.build import schedule
from orchestrator.build.jobs import cross_after
from orchestrator.plan import Plan
from orchestrator.platforms import Platform
from tests.unit.build_fakes import job, planned


def test_heaviness_follows_the_profile() -> None:
    assert planned("amd64", pgo=True, profile="full").heavy
    assert not planned("amd64", pgo=True, profile="quick").heavy
    assert planned("arm32v7").heavy
    assert schedule.default_jobs(2) == 2 and schedule.default_jobs(0) == 1


def test_only_a_pgo_build_without_the_quick_profile_runs_one() -> None:
    assert planned("amd64", pgo=True, profile="full").runs_profile
    assert planned("amd64", pgo=True).runs_profile  # a template without the profile argument
    assert not planned("amd64", pgo=True, profile="quick").runs_profile
    assert not planned("arm32v7", profile="full").runs_profile
    assert not planned("amd64", profile="full").heavy


def test_a_cross_job_starts_after_its_variants_native_job_on_the_build_platform() -> None:
    """Only cross jobs wait, only for the native job of the same version and variant on the
    build platform, and only when the plan has one."""
    jobs = (
        job("amd64", "slim"),
        job("i386", "slim"),
        job("arm64v8", "slim", how="cross"),
        job("arm32v7", "slim", how="cross"),
        job("arm64v8", "bookworm", how="cross"),  # no native amd64 bookworm job in this plan
        job("arm32v5", "slim"),  # emulated: waits for nothing
    )
    plan = Plan(version="3.13.5", line="3.13", jobs=jobs, excluded=(), manifests=())
    after = cross_after(plan, Platform("linux", "amd64"))
    assert after == {
        "3.13.5-slim-arm64v8": ("3.13.5-slim-amd64",),
        "3.13.5-slim-arm32v7": ("3.13.5-slim-amd64",),
    }
