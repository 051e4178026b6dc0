"""The job model: which jobs are heavy."""

from __future__ import annotations

from orchestrator.build import jobs, schedule
from tests.unit.build_fakes import job


def test_heaviness_follows_the_profile() -> None:
    pgo = job("amd64", heavy=True)
    assert jobs.is_heavy(pgo, (("PYTHON_BUILD_PROFILE", "full"),))
    assert not jobs.is_heavy(pgo, (("PYTHON_BUILD_PROFILE", "quick"),))
    assert jobs.is_heavy(job("arm32v7"), ())
    assert schedule.default_jobs(2) == 2 and schedule.default_jobs(0) == 1
