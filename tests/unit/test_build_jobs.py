"""The job model: which jobs run a PGO profile, which are heavy."""

from __future__ import annotations

from orchestrator.build import schedule
from tests.unit.build_fakes import planned


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
