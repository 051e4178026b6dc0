"""The job model: which jobs run a PGO profile, which are heavy; why a job failed, in one line."""

from __future__ import annotations

from orchestrator.build import schedule
from orchestrator.build.job import failure_reason
from orchestrator.build.jobs import cross_after
from orchestrator.errors import CommandFailed
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


# The end of a real build's output when the mirror served a tarball with one byte changed
# (tests/integration/test_tampered_source.py), and gpg's words for a bad signature.
SHA256_MISMATCH = """\
#9 3.458 + echo 93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640 *python.tar.xz
#9 3.459 + sha256sum -c -
#9 3.718 python.tar.xz: FAILED
#9 3.722 sha256sum: WARNING: 1 computed checksum did NOT match
ERROR: failed to solve: executor failed running [/bin/sh -c set -eux; wget …]: exit code: 1
"""
BAD_SIGNATURE = (
    'gpg: BAD signature from "Łukasz Langa (GPG langa.pl) <lukasz@langa.pl>" [unknown]\n'
)


def test_a_build_stopped_by_the_source_verification_says_so() -> None:
    build = ("docker", "buildx", "build", "--platform", "linux/amd64", ".")
    assert failure_reason(CommandFailed(build, 1, SHA256_MISMATCH)) == (
        "build failed (exit code 1): source verification failed: the downloaded source does not "
        "match its sha256 in matrix.yml"
    )
    assert failure_reason(CommandFailed(build, 1, BAD_SIGNATURE)).endswith(
        "source verification failed: the downloaded source has a bad GPG signature"
    )
    assert failure_reason(CommandFailed(build, 1, "gcc: error: foo.c")) == (
        "build failed (exit code 1)"
    )
    # the words matter only in a build's output
    push = ("docker", "push", "r:t")
    assert failure_reason(CommandFailed(push, 1, SHA256_MISMATCH)) == "push failed (exit code 1)"
