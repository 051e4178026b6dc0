"""The tag-publishing policy (every case of issue 4, point 9) and the exact manifest-list bytes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath

import pytest

from orchestrator.errors import ConfigError, UsageError
from orchestrator.oci import MANIFEST_LIST, OCI_INDEX
from orchestrator.oci import digest as digest_of
from orchestrator.oci import list_bytes as manifest_list
from orchestrator.plan import Job, Plan
from orchestrator.platforms import ARCHES, Platform
from orchestrator.policy import (
    Decision,
    ListEntry,
    TagOutcome,
    check_results,
    decide,
    failed,
    summary_lines,
)
from orchestrator.results import JobResult, JobStatus

V = "3.13.5"
WIN_VERSION = "10.0.20348.2527"
LINUX = ("amd64", "arm32v5", "arm32v6", "arm32v7", "arm64v8", "i386")


def _job(variant: str, arch: str, tags: Sequence[str], shared: Sequence[str]) -> Job:
    platform = ARCHES[arch].platform
    if platform.os == "windows":
        platform = platform.with_os_version(WIN_VERSION)
    dockerfile = PurePosixPath(f"dockerfiles/3.13/{variant}/Dockerfile")
    return Job(
        id=f"{V}-{variant}-{arch}",
        version=V,
        line="3.13",
        variant=variant,
        arch=arch,
        platform=platform,
        family="windowsservercore" if platform.os == "windows" else "debian",
        parent="debian:bookworm",
        dockerfile=dockerfile,
        context=dockerfile.parent,
        build_args=(),
        tags=tuple(tags),
        shared_tags=tuple(shared),
        builder=None,
        pgo=False,
        profile_task=None,
    )


def _plan() -> Plan:
    """bookworm on six Linux arches + one Windows variant; "3.13" shared by all of them."""
    shared = ("3.13.5", "3.13")
    linux = [_job("bookworm", a, ("3.13.5-bookworm", "3.13-bookworm"), shared) for a in LINUX]
    win_tags = ("3.13.5-windowsservercore-ltsc2022", "3.13-windowsservercore-ltsc2022")
    win = _job("windowsservercore-ltsc2022", "windows-amd64", win_tags, shared)
    jobs = (*linux, win)
    manifests = (
        ("3.13.5-bookworm", tuple(j.id for j in linux)),
        ("3.13-bookworm", tuple(j.id for j in linux)),
        (win_tags[0], (win.id,)),
        (win_tags[1], (win.id,)),
        ("3.13.5", tuple(j.id for j in jobs)),
        ("3.13", tuple(j.id for j in jobs)),
    )
    return Plan(version=V, line="3.13", jobs=jobs, excluded=(), manifests=manifests)


def _digest(n: int) -> str:
    return f"sha256:{n:064x}"


def _result(job: Job, status: JobStatus, n: int = 0, reason: str | None = None) -> JobResult:
    has_digest = status in (JobStatus.BUILT, JobStatus.SKIPPED)
    return JobResult(
        job_id=job.id,
        status=status,
        platform=job.platform,
        repository="localhost:5000/python",
        digest=_digest(n) if has_digest else None,
        content_key="k",
        seconds=1.0 if status is JobStatus.BUILT else None,
        reason=reason,
    )


def _all(plan: Plan, **override: tuple[JobStatus, str | None]) -> list[JobResult]:
    out = []
    for n, job in enumerate(plan.jobs, start=1):
        status, reason = override.get(job.arch.replace("-", "_"), (JobStatus.BUILT, None))
        out.append(_result(job, status, n, reason))
    return out


def _by_tag(decisions: Sequence[Decision]) -> dict[str, Decision]:
    return {d.tag: d for d in decisions}


def test_all_built_publishes_every_tag_in_plan_order() -> None:
    plan = _plan()
    decisions = decide(plan, _all(plan))
    assert [d.tag for d in decisions] == [t for t, _ in plan.manifests]
    assert all(d.publish and d.required and not d.missing for d in decisions)
    shared = decisions[-1]
    assert shared.entries == tuple(j.id for j in plan.jobs)
    assert shared.reason is None


def test_one_failed_without_keep_going_holds_its_tags_and_names_the_platform() -> None:
    plan = _plan()
    results = _all(plan, arm64v8=(JobStatus.FAILED, "smoke test failed"))
    d = _by_tag(decide(plan, results))
    bookworm = d["3.13.5-bookworm"]
    assert not bookworm.publish
    assert bookworm.required
    assert [m.job_id for m in bookworm.missing] == [f"{V}-bookworm-arm64v8"]
    assert bookworm.reason == (
        f"missing linux/arm64/v8 ({V}-bookworm-arm64v8: failed: smoke test failed)"
    )
    assert not d["3.13"].publish
    # tags without the failed platform are unaffected
    assert d["3.13.5-windowsservercore-ltsc2022"].publish


def test_require_without_keep_going_changes_nothing() -> None:
    plan = _plan()
    results = _all(plan, arm64v8=(JobStatus.FAILED, "compile error"))
    d = _by_tag(decide(plan, results, require=["amd64"]))
    assert not d["3.13.5-bookworm"].publish


def test_keep_going_alone_still_needs_every_platform() -> None:
    plan = _plan()
    results = _all(plan, arm64v8=(JobStatus.FAILED, "compile error"))
    d = _by_tag(decide(plan, results, keep_going=True))
    assert not d["3.13.5-bookworm"].publish
    assert d["3.13.5-bookworm"].required


def test_keep_going_with_require_satisfied_publishes_what_succeeded() -> None:
    plan = _plan()
    results = _all(plan, arm64v8=(JobStatus.FAILED, "compile error"))
    d = _by_tag(decide(plan, results, require=["amd64", "i386"], keep_going=True))
    bookworm = d["3.13.5-bookworm"]
    assert bookworm.publish
    assert bookworm.entries == tuple(f"{V}-bookworm-{a}" for a in LINUX if a != "arm64v8")
    assert "published without linux/arm64/v8" in (bookworm.reason or "")
    assert [m.job_id for m in bookworm.missing] == [f"{V}-bookworm-arm64v8"]


def test_keep_going_with_a_required_arch_failed_holds() -> None:
    plan = _plan()
    results = _all(plan, i386=(JobStatus.FAILED, "push timed out"))
    d = _by_tag(decide(plan, results, require=["amd64", "i386"], keep_going=True))
    bookworm = d["3.13.5-bookworm"]
    assert not bookworm.publish
    assert bookworm.required
    assert bookworm.reason == (
        f"required platform missing: linux/386 ({V}-bookworm-i386: failed: push timed out)"
    )


def test_skipped_with_digest_counts_as_success() -> None:
    plan = _plan()
    results = _all(
        plan,
        amd64=(JobStatus.SKIPPED, "registry already holds content key k"),
        arm32v7=(
            JobStatus.SKIPPED,
            None,
        ),
    )
    assert all(d.publish for d in decide(plan, results))


def test_skipped_without_digest_does_not_count() -> None:
    plan = _plan()
    results = _all(plan)
    results[0] = JobResult(
        job_id=results[0].job_id,
        status=JobStatus.SKIPPED,
        platform=results[0].platform,
        repository=results[0].repository,
        digest=None,
        content_key=None,
        seconds=None,
    )
    d = _by_tag(decide(plan, results))
    assert not d["3.13.5-bookworm"].publish
    assert "skipped without a digest" in (d["3.13.5-bookworm"].reason or "")


def test_no_windows_builder_holds_shared_tags_and_says_which_platform() -> None:
    plan = _plan()
    results = _all(plan, windows_amd64=(JobStatus.NOT_BUILT, "no Windows builder"))
    d = _by_tag(decide(plan, results))
    for tag in ("3.13.5", "3.13", "3.13.5-windowsservercore-ltsc2022"):
        assert not d[tag].publish, tag
        assert d[tag].reason == (
            f"missing windows/amd64 {WIN_VERSION} "
            f"({V}-windowsservercore-ltsc2022-windows-amd64: not built: no Windows builder)"
        )
    assert d["3.13.5-bookworm"].publish


def test_no_windows_builder_with_keep_going_and_linux_required() -> None:
    plan = _plan()
    results = _all(plan, windows_amd64=(JobStatus.NOT_BUILT, "no Windows builder"))
    d = _by_tag(decide(plan, results, require=["amd64"], keep_going=True))
    # shared tags go out with the Linux platforms, saying what they leave out
    shared = d["3.13"]
    assert shared.publish
    assert len(shared.entries) == len(LINUX)
    assert "published without windows/amd64" in (shared.reason or "")
    # the Windows-only tag has nothing to publish; it is held but not required
    win = d["3.13.5-windowsservercore-ltsc2022"]
    assert not win.publish
    assert not win.required
    assert (win.reason or "").startswith("no platform available: missing windows/amd64")


def test_reason_that_already_says_not_built_is_not_repeated() -> None:
    plan = _plan()
    results = _all(plan, windows_amd64=(JobStatus.NOT_BUILT, "not built: no Windows builder"))
    d = _by_tag(decide(plan, results))
    assert d["3.13"].reason == (
        f"missing windows/amd64 {WIN_VERSION} "
        f"({V}-windowsservercore-ltsc2022-windows-amd64: not built: no Windows builder)"
    )


def test_job_without_any_result_is_missing() -> None:
    plan = _plan()
    results = [r for r in _all(plan) if not r.job_id.endswith("-i386")]
    d = _by_tag(decide(plan, results))
    assert d["3.13.5-bookworm"].reason == f"missing linux/386 ({V}-bookworm-i386: no result)"


def test_require_names_are_checked() -> None:
    plan = _plan()
    with pytest.raises(UsageError) as info:
        decide(plan, _all(plan), require=["arm64", "s390x"], keep_going=True)
    assert info.value.problems == (
        "--require arm64: unknown architecture (did you mean 'arm64v8'?)",
        "--require s390x: no job of the plan for 3.13.5 builds it",
    )


def test_check_results_refuses_foreign_jobs_versions_and_platforms() -> None:
    plan = _plan()
    results = _all(plan)
    stray = JobResult(
        job_id=f"{V}-bookwrm-amd64",
        status=JobStatus.BUILT,
        platform=Platform("linux", "amd64"),
        repository="localhost:5000/python",
        digest=_digest(99),
        content_key=None,
        seconds=None,
    )
    wrong = JobResult(
        job_id=results[3].job_id,  # arm32v7
        status=JobStatus.BUILT,
        platform=Platform("linux", "arm", "v6"),
        repository="localhost:5000/python",
        digest=_digest(98),
        content_key=None,
        seconds=None,
    )
    with pytest.raises(ConfigError) as info:
        check_results(plan, "3.13.4", [*results[:3], wrong, stray])
    assert info.value.problems == (
        "results are for version '3.13.4', not '3.13.5'",
        f"results: job '{V}-bookworm-arm32v7': platform linux/arm/v6 does not match the plan's "
        "linux/arm/v7",
        f"results: job '{V}-bookwrm-amd64' is not in the plan for 3.13.5 "
        f"(did you mean '{V}-bookworm-amd64'?)",
    )
    check_results(plan, V, results)  # the good ones pass


def _entries() -> list[ListEntry]:
    v2 = "application/vnd.docker.distribution.manifest.v2+json"
    return [
        ListEntry("a", v2, 528, _digest(1), Platform("linux", "amd64")),
        ListEntry("b", v2, 529, _digest(2), Platform("linux", "arm", "v5")),
        ListEntry("c", v2, 530, _digest(3), Platform("linux", "arm", "v7")),
        ListEntry("d", v2, 531, _digest(4), Platform("linux", "arm64", "v8")),
        ListEntry("e", v2, 532, _digest(5), Platform("linux", "386")),
        ListEntry("f", v2, 3087, _digest(6), Platform("windows", "amd64", None, WIN_VERSION)),
    ]


def test_docker_manifest_list_bytes() -> None:
    media_type, content = manifest_list(_entries())
    assert media_type == MANIFEST_LIST
    doc = json.loads(content)
    assert list(doc) == ["schemaVersion", "mediaType", "manifests"]
    assert doc["schemaVersion"] == 2
    assert doc["mediaType"] == MANIFEST_LIST
    assert [m["digest"] for m in doc["manifests"]] == [_digest(n) for n in range(1, 7)]
    assert doc["manifests"][0] == {
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "size": 528,
        "digest": _digest(1),
        "platform": {"architecture": "amd64", "os": "linux"},
    }
    assert [m["platform"].get("variant") for m in doc["manifests"]] == [
        None,
        "v5",
        "v7",
        "v8",
        None,
        None,
    ]
    assert doc["manifests"][5]["platform"] == {
        "architecture": "amd64",
        "os": "windows",
        "os.version": WIN_VERSION,
    }
    # stable bytes: the same entries give the same digest
    assert manifest_list(_entries())[1] == content
    assert digest_of(content) == digest_of(manifest_list(_entries())[1])


def test_oci_index_bytes() -> None:
    media_type, content = manifest_list(_entries()[:2], oci_index=True)
    assert media_type == OCI_INDEX
    doc = json.loads(content)
    assert doc["mediaType"] == OCI_INDEX
    # entries keep the per-platform media type the registry holds
    assert doc["manifests"][1]["mediaType"] == (
        "application/vnd.docker.distribution.manifest.v2+json"
    )


def test_empty_list_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one entry"):
        manifest_list([])


def test_summary_lines_and_failure() -> None:
    outcomes = [
        TagOutcome("3.13.5-bookworm", True, _digest(7), ("a", "b"), (), None),
        TagOutcome("3.13", False, None, (), ("w",), "missing windows/amd64 (w: not built)"),
        TagOutcome("3.13-ws", False, None, (), ("w",), "no platform available", required=False),
        TagOutcome(
            "3.13-bookworm", True, _digest(8), ("a",), ("b",), "published without b", True, True
        ),
    ]
    assert summary_lines(outcomes) == [
        f"published  3.13.5-bookworm  {_digest(7)}  (2 platforms)",
        "held       3.13             missing windows/amd64 (w: not built)",
        "held (not required)  3.13-ws          no platform available",
        f"unchanged  3.13-bookworm    {_digest(8)}  (1 platform)  published without b",
    ]
    assert failed(outcomes)
    assert not failed([outcomes[0], outcomes[2]])
