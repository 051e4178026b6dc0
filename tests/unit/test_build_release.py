"""Whole build runs over injected fakes (``fakes.py``): build, smoke test, push, publish,
skip what is done, fail, keep going, interrupt and resume, route, preview."""

from __future__ import annotations

from pathlib import Path

from orchestrator.build import journal, release, summary
from orchestrator.build.options import PYTHON_ORG
from orchestrator.results import JobStatus
from tests.unit.build_fakes import (
    FakeDocker,
    FakePublish,
    FakeRegistry,
    make_connections,
    options,
)


def test_first_run_builds_smoke_tests_pushes_and_publishes(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(root)
    outcome = release.build_release(opts, make_connections(docker, publish))
    assert [r.status for r in outcome.results] == [JobStatus.BUILT] * 5
    assert docker.count("build") == 5 and docker.count("push") == 5 and docker.count("run") == 15
    assert all(r.digest and r.content_key for r in outcome.results)
    assert all(t.published for t in outcome.tags)
    assert summary.exit_code(outcome, opts) == 0
    # The quick profile and the loopback mirror reach the build, and --network host with it.
    build = next(c for c in docker.calls if "build" in c)
    assert "PYTHON_BUILD_PROFILE=quick" in build
    assert "PYTHON_DOWNLOAD_BASE=http://127.0.0.1:8088/ftp/python" in build
    assert build[build.index("--network") + 1] == "host"
    # The rendered Dockerfiles were written, and every job has its own log.
    assert (root / "dockerfiles/3.13/bookworm/Dockerfile").is_file()
    assert (root / "logs/3.13.5/3.13.5-bookworm-i386.log").read_text().startswith("# 3.13.5-")
    record = journal.load(
        journal.path_for(root / ".orchestrate", "localhost:5000/python", "3.13.5"), "3.13.5"
    )
    assert {e.status for e in record.values()} == {"built"}


def test_without_download_base_the_build_takes_the_farm_mirror_when_it_is_up(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(root, arches=("amd64",), variants=("bookworm",), download_base=None)
    mirror = "http://127.0.0.1:8088/ftp/python"
    release.build_release(opts, make_connections(docker, publish, source_mirror=mirror))
    build = next(c for c in docker.calls if "build" in c)
    assert f"PYTHON_DOWNLOAD_BASE={mirror}" in build and "--network" in build
    again = FakeDocker(FakeRegistry())
    release.build_release(opts, make_connections(again, publish))  # no mirror: python.org
    build = next(c for c in again.calls if "build" in c)
    assert f"PYTHON_DOWNLOAD_BASE={PYTHON_ORG}" in build and "--network" not in build


def test_second_run_builds_nothing(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    release.build_release(options(root), make_connections(docker, publish))
    again = FakeDocker(docker.registry)
    outcome = release.build_release(options(root), make_connections(again, publish))
    assert [r.status for r in outcome.results] == [JobStatus.SKIPPED] * 5
    assert again.count("build") == 0 and again.count("push") == 0 and again.count("run") == 0
    first = {r.job_id: r.digest for r in publish.calls[0]}
    assert {r.job_id: r.digest for r in outcome.results} == first
    assert all("holds its content key" in (r.reason or "") for r in outcome.results)
    assert summary.exit_code(outcome, options(root)) == 0


def test_a_changed_input_rebuilds_only_what_it_touches(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    release.build_release(options(root), make_connections(docker, publish))
    again = FakeDocker(docker.registry)
    outcome = release.build_release(options(root, profile="full"), make_connections(again, publish))
    assert {r.status for r in outcome.results} == {JobStatus.BUILT}  # the profile is in the key
    trixie = (root / "templates/modern/debian.Dockerfile.j2").read_text()
    (root / "templates/modern/debian.Dockerfile.j2").write_text(trixie + "\n# changed\n")
    third = FakeDocker(docker.registry)
    outcome = release.build_release(options(root, profile="full"), make_connections(third, publish))
    statuses = {r.job_id: r.status for r in outcome.results}
    assert statuses["3.13.5-slim-bookworm-amd64"] is JobStatus.SKIPPED
    assert statuses["3.13.5-bookworm-amd64"] is JobStatus.BUILT


def test_compile_error_is_not_retried_and_stops_new_jobs(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry(), compile_error={"amd64"}), FakePublish()
    opts = options(root, jobs=1)
    outcome = release.build_release(opts, make_connections(docker, publish))
    by_id = {r.job_id: r for r in outcome.results}
    failed = by_id["3.13.5-bookworm-amd64"]
    assert failed.status is JobStatus.FAILED
    assert failed.reason == "build failed (exit code 1)"
    assert "gcc: error: foo.c" in failed.log_tail
    assert docker.count("build") == 1  # not retried, and nothing new started after it
    rest = [r for r in outcome.results if r is not failed]
    assert {r.status for r in rest} == {JobStatus.NOT_BUILT}
    assert rest[0].reason == (
        "not started: 3.13.5-bookworm-amd64 failed (--keep-going builds the rest)"
    )
    assert summary.exit_code(outcome, opts) == 1
    text = summary.summary(outcome)
    assert "failed     3.13.5-bookworm-amd64" in text
    assert "| gcc: error: foo.c" in text
    assert "held" in text and "3.13.5-bookworm" in text


def test_keep_going_builds_the_rest_and_require_publishes_partial_lists(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry(), compile_error={"i386"}), FakePublish()
    opts = options(root, keep_going=True, require=("amd64",))
    outcome = release.build_release(opts, make_connections(docker, publish))
    statuses = [r.status for r in outcome.results]
    assert statuses.count(JobStatus.FAILED) == 2 and statuses.count(JobStatus.BUILT) == 3
    tags = {t.tag: t for t in outcome.tags}
    assert tags["3.13.5"].published and tags["3.13.5"].entries == ("3.13.5-bookworm-amd64",)
    assert summary.exit_code(outcome, opts) == 0
    strict = options(root, keep_going=True)
    assert (
        summary.exit_code(release.build_release(strict, make_connections(docker, publish)), strict)
        == 1
    )


def test_transient_push_is_retried_without_rebuilding(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry(), transient_push=2), FakePublish()
    outcome = release.build_release(options(root, arches=("amd64",), variants=("bookworm",)),
                           make_connections(docker, publish))  # fmt: skip
    assert [r.status for r in outcome.results] == [JobStatus.BUILT]
    assert docker.count("build") == 1 and docker.count("push") == 3


def test_failed_smoke_test_fails_the_job_and_pushes_nothing(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry(), bad_smoke={"i386"}), FakePublish()
    outcome = release.build_release(
        options(root, keep_going=True), make_connections(docker, publish)
    )
    bad = [r for r in outcome.results if r.status is JobStatus.FAILED]
    assert [r.job_id for r in bad] == ["3.13.5-bookworm-i386", "3.13.5-slim-bookworm-i386"]
    assert bad[0].reason is not None and bad[0].reason.startswith("smoke test python --version")
    assert not any("i386" in ref for ref in docker.registry.tags)  # never pushed
    again = FakeDocker(docker.registry)
    release.build_release(options(root, keep_going=True), make_connections(again, publish))
    assert again.count("build") == 2  # the failed ones are built again, nothing else


def test_ctrl_c_stops_cleanly_publishes_nothing_and_the_next_run_resumes(root: Path) -> None:
    reg = FakeRegistry()
    docker, publish = FakeDocker(reg, interrupt_build="i386"), FakePublish()
    opts = options(root, jobs=1)
    outcome = release.build_release(opts, make_connections(docker, publish))
    assert outcome.interrupted and summary.exit_code(outcome, opts) == 130
    assert publish.calls == []
    statuses = {r.job_id: (r.status, r.reason) for r in outcome.results}
    assert statuses["3.13.5-bookworm-amd64"] == (JobStatus.BUILT, None)
    assert statuses["3.13.5-bookworm-i386"] == (JobStatus.NOT_BUILT, "interrupted")
    assert statuses["3.13.5-trixie-amd64"] == (JobStatus.NOT_BUILT, "interrupted")
    record = journal.load(
        journal.path_for(root / ".orchestrate", "localhost:5000/python", "3.13.5"), "3.13.5"
    )
    assert record["3.13.5-bookworm-amd64"].status == "built"
    assert record["3.13.5-trixie-amd64"].reason == "interrupted"
    assert "Interrupted: no tag was published" in summary.summary(outcome)
    resumed = FakeDocker(reg)
    outcome = release.build_release(opts, make_connections(resumed, publish))
    assert resumed.count("build") == 4  # everything but the job that had finished
    assert summary.exit_code(outcome, opts) == 0


def test_windows_jobs_need_a_windows_builder(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(
        root,
        version="3.8.0b3",
        arches=("amd64", "windows-amd64"),
        variants=("buster", "windowsservercore-1809"),
        keep_going=True,
        require=("amd64",),
    )
    docker.version = "3.8.0b3"
    outcome = release.build_release(opts, make_connections(docker, publish))
    by_id = {r.job_id: r for r in outcome.results}
    win = by_id["3.8.0b3-windowsservercore-1809-windows-amd64"]
    assert (win.status, win.reason) == (JobStatus.NOT_BUILT, "not built: no Windows builder")
    assert by_id["3.8.0b3-buster-amd64"].status is JobStatus.BUILT
    # The 2019 Dockerfiles take neither the download base nor the profile.
    build = next(c for c in docker.calls if "build" in c)
    assert not any(a.startswith("PYTHON_") for a in build)
    assert "--network" not in build
    text = summary.summary(outcome)
    assert "Windows images are not smoke-tested here (no Windows engine)." in text
    tags = {t.tag: t for t in outcome.tags}
    assert tags["3.8.0b3"].published and tags["3.8.0b3"].missing  # keep-going, amd64 required
    assert not tags["3.8.0b3-windowsservercore-1809"].published


def test_a_windows_builder_routes_windows_jobs_to_it(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    docker.platforms = "windows/amd64"
    opts = options(
        root,
        version="3.8.0b3",
        arches=("windows-amd64",),
        variants=("windowsservercore-1809",),
        builders={"windows-amd64": "context:win"},
    )
    outcome = release.build_release(opts, make_connections(docker, publish))
    assert [r.status for r in outcome.results] == [JobStatus.BUILT]
    build = next(c for c in docker.calls if "build" in c)
    assert build[:3] == ("docker", "--context", "win")
    assert docker.count("run") == 0  # no smoke test without a Windows engine here


def test_missing_parent_blocks_only_its_platform(root: Path) -> None:
    reg = FakeRegistry(missing={("debian:bookworm-slim", "linux/386")})
    docker, publish = FakeDocker(reg), FakePublish()
    outcome = release.build_release(
        options(root, keep_going=True), make_connections(docker, publish)
    )
    by_id = {r.job_id: r for r in outcome.results}
    blocked = by_id["3.13.5-slim-bookworm-i386"]
    assert blocked.status is JobStatus.NOT_BUILT
    assert blocked.reason == (
        "parent debian:bookworm-slim for linux/386: "
        "localhost:5000/library/debian:bookworm-slim has no linux/386 image"
    )
    assert docker.count("build") == 4


def test_dry_run_prints_every_argv_and_builds_nothing(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(root, dry_run=True)
    outcome = release.build_release(opts, make_connections(docker, publish))
    assert outcome.dry_run and summary.exit_code(outcome, opts) == 0
    assert [c[:3] for c in docker.calls] == [("docker", "buildx", "inspect")]
    assert not (root / "dockerfiles").exists() and not (root / ".orchestrate").exists()
    text = summary.summary(outcome)
    assert "docker buildx build --platform linux/386 --file" in text
    assert text.count("docker buildx build") == 5


def test_push_by_digest_writes_results_and_publishes_nothing(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    out = root / "out" / "i386.json"
    opts = options(root, arches=("i386",), push_by_digest=True, results=out)
    outcome = release.build_release(opts, make_connections(docker, publish))
    assert publish.calls == [] and summary.exit_code(outcome, opts) == 0
    from orchestrator import results

    version, read = results.read_results([str(out)])
    assert version == "3.13.5" and [r.status for r in read] == [JobStatus.BUILT] * 2
