"""The build pipeline's steps, each alone, and whole runs over injected fakes.

The fakes stand for what a unit test may not touch: ``FakeDocker`` answers the argv lists the
pipeline would run (``buildx build``, ``run``, ``push``, ``buildx inspect``) as the docker CLI
does, and ``FakeRegistry`` holds tags like a registry. The real engine runs in
``tests/integration/test_build*.py``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import structlog

from orchestrator import manifest, pipeline, proc, progress, retrying, runrecord
from orchestrator.buildx import DEFAULT_ROUTE, Route
from orchestrator.errors import CommandFailed, ConfigError
from orchestrator.plan import Job, Plan
from orchestrator.platforms import Platform
from orchestrator.results import JobResult, JobStatus

REPO = Path(__file__).resolve().parents[2]
PLATFORMS = "linux/amd64, linux/386, linux/arm64, linux/ppc64le, linux/s390x, linux/arm/v7"


@pytest.fixture(autouse=True)
def _fresh_log_config() -> Iterator[None]:
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the repository's matrix and templates (render writes under it)."""
    shutil.copy(REPO / "matrix.yml", tmp_path / "matrix.yml")
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    return tmp_path


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class FakeRegistry:
    """Parents resolve for every platform unless listed in ``missing``; tags live in a dict."""

    tags: dict[str, str] = field(default_factory=dict)
    missing: set[tuple[str, str]] = field(default_factory=set)
    lookups: int = 0

    def parent_digest(self, parent: str, platform: Platform) -> str:
        if (parent, platform.oci) in self.missing:
            raise ConfigError(f"localhost:5000/library/{parent} has no {platform.oci} image")
        return sha(parent + platform.oci)

    def tag_digest(self, repository: str, tag: str) -> str | None:
        self.lookups += 1
        return self.tags.get(f"{repository}:{tag}")


@dataclass
class FakeDocker:
    """Answers the docker CLI argv lists of a run; records them; fails where told to."""

    registry: FakeRegistry
    compile_error: set[str] = field(default_factory=set)  # arches whose build fails
    transient_push: int = 0  # this many pushes fail with a 503 first
    bad_smoke: set[str] = field(default_factory=set)  # arches whose python is wrong
    interrupt_build: str | None = None  # arch whose build raises KeyboardInterrupt
    platforms: str = PLATFORMS
    version: str = "3.13.5"
    calls: list[tuple[str, ...]] = field(default_factory=list)
    running: int = 0
    most: int = 0
    delay: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def count(self, word: str) -> int:
        return sum(1 for c in self.calls if word in c)

    def __call__(self, argv: Sequence[str], **kw: Any) -> proc.Completed:
        args = tuple(str(a) for a in argv)
        with self._lock:
            self.calls.append(args)
        log_file: Path | None = kw.get("log_file")
        if log_file is not None:
            with log_file.open("a") as f:
                f.write(f"$ {' '.join(args)}\n")
        cmd = args[3:] if args[1] == "--context" else args[1:]
        if cmd[:2] == ("buildx", "inspect"):
            return proc.Completed(args, 0, f"Name: default\nPlatforms: {self.platforms}\n", "", 0)
        if cmd[:2] == ("buildx", "build"):
            tag = args[args.index("--tag") + 1]
            arch = tag.rsplit("-", 1)[1]
            if arch == self.interrupt_build:
                raise KeyboardInterrupt
            with self._lock:
                self.running += 1
                self.most = max(self.most, self.running)
            time.sleep(self.delay)
            with self._lock:
                self.running -= 1
            if arch in self.compile_error:
                out = (
                    '#9 ERROR: process "/bin/sh -c make" did not complete successfully: '
                    "exit code: 2\n"
                )
                assert log_file is not None
                with log_file.open("a") as f:
                    f.write("gcc: error: foo.c\n" + out)
                raise CommandFailed(args, 1, out)
            return proc.Completed(args, 0, "#10 DONE 0.1s\n", "", 0.1)
        if cmd[0] == "run":
            image = cmd[cmd.index("--platform") + 2]
            arch = image.rsplit("-", 1)[1]
            version = "3.13.4" if arch in self.bad_smoke else self.version
            short = ".".join(self.version.split(".")[:2])
            if cmd[-1] == "--version" and cmd[-2] == "python":
                out = f"Python {version}\n"
            elif cmd[-2] == "-c":
                out = "imports ok: OpenSSL 3.0.16 11 Feb 2025\n"
            else:
                site = f"/usr/local/lib/python{short}/site-packages/pip"
                out = f"pip 25.1.1 from {site} (python {short})\n"
            return proc.Completed(args, 0, out, "", 0.1)
        if cmd[0] == "push":
            if self.transient_push:
                self.transient_push -= 1
                raise CommandFailed(
                    args, 1, "received unexpected HTTP status: 503 Service Unavailable"
                )
            ref = cmd[1]
            digest = sha("manifest of " + ref)
            self.registry.tags[ref] = digest
            out = f"{ref.rsplit(':', 1)[1]}: digest: {digest} size: 1234\n"
            return proc.Completed(args, 0, out, "", 0.1)
        raise AssertionError(f"unexpected command {args}")


@dataclass
class FakePublish:
    """``publish`` with the real pure policy; no registry."""

    calls: list[list[JobResult]] = field(default_factory=list)

    def __call__(
        self, plan: Plan, results: list[JobResult], **kw: Any
    ) -> list[manifest.TagOutcome]:
        self.calls.append(results)
        decisions = manifest.decide(
            plan, results, require=kw.get("require", ()), keep_going=kw.get("keep_going", False)
        )
        return [
            manifest.TagOutcome(
                d.tag,
                d.publish,
                sha(d.tag) if d.publish else None,
                d.entries,
                tuple(m.job_id for m in d.missing),
                d.reason,
                d.required,
            )
            for d in decisions
        ]


def make_deps(docker: FakeDocker, publish: FakePublish) -> pipeline.Deps:
    return pipeline.Deps(
        run=docker,
        registry=docker.registry,
        publish=publish,
        report=lambda *a: [],
        view=progress.EventView,
        on_interrupt=lambda: None,
        sleep=lambda s: None,
    )


def options(root: Path, **kw: Any) -> pipeline.Options:
    base: dict[str, Any] = {
        "version": "3.13.5",
        "root": root,
        "arches": ("amd64", "i386"),
        "download_base": "http://127.0.0.1:8088/ftp/python",
        "policy": retrying.NO_WAIT,
    }
    return pipeline.Options(**{**base, **kw})


# --------------------------------------------------------------------------- whole runs


def test_first_run_builds_smoke_tests_pushes_and_publishes(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(root)
    outcome = pipeline.run(opts, make_deps(docker, publish))
    assert [r.status for r in outcome.results] == [JobStatus.BUILT] * 5
    assert docker.count("build") == 5 and docker.count("push") == 5 and docker.count("run") == 15
    assert all(r.digest and r.content_key for r in outcome.results)
    assert all(t.published for t in outcome.tags)
    assert pipeline.exit_code(outcome, opts) == 0
    # The quick profile and the loopback mirror reach the build, and --network host with it.
    build = next(c for c in docker.calls if "build" in c)
    assert "PYTHON_BUILD_PROFILE=quick" in build
    assert "PYTHON_DOWNLOAD_BASE=http://127.0.0.1:8088/ftp/python" in build
    assert build[build.index("--network") + 1] == "host"
    # The rendered Dockerfiles were written, and every job has its own log.
    assert (root / "dockerfiles/3.13/bookworm/Dockerfile").is_file()
    assert (root / "logs/3.13.5/3.13.5-bookworm-i386.log").read_text().startswith("# 3.13.5-")
    record = runrecord.load(
        runrecord.path_for(root / ".orchestrate", "localhost:5000/python", "3.13.5"), "3.13.5"
    )
    assert {e.status for e in record.values()} == {"built"}


def test_second_run_builds_nothing(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    pipeline.run(options(root), make_deps(docker, publish))
    again = FakeDocker(docker.registry)
    outcome = pipeline.run(options(root), make_deps(again, publish))
    assert [r.status for r in outcome.results] == [JobStatus.SKIPPED] * 5
    assert again.count("build") == 0 and again.count("push") == 0 and again.count("run") == 0
    first = {r.job_id: r.digest for r in publish.calls[0]}
    assert {r.job_id: r.digest for r in outcome.results} == first
    assert all("holds its content key" in (r.reason or "") for r in outcome.results)
    assert pipeline.exit_code(outcome, options(root)) == 0


def test_a_changed_input_rebuilds_only_what_it_touches(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    pipeline.run(options(root), make_deps(docker, publish))
    again = FakeDocker(docker.registry)
    outcome = pipeline.run(options(root, profile="full"), make_deps(again, publish))
    assert {r.status for r in outcome.results} == {JobStatus.BUILT}  # the profile is in the key
    trixie = (root / "templates/modern/debian.Dockerfile.j2").read_text()
    (root / "templates/modern/debian.Dockerfile.j2").write_text(trixie + "\n# changed\n")
    third = FakeDocker(docker.registry)
    outcome = pipeline.run(options(root, profile="full"), make_deps(third, publish))
    statuses = {r.job_id: r.status for r in outcome.results}
    assert statuses["3.13.5-slim-bookworm-amd64"] is JobStatus.SKIPPED
    assert statuses["3.13.5-bookworm-amd64"] is JobStatus.BUILT


def test_compile_error_is_not_retried_and_stops_new_jobs(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry(), compile_error={"amd64"}), FakePublish()
    opts = options(root, jobs=1)
    outcome = pipeline.run(opts, make_deps(docker, publish))
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
    assert pipeline.exit_code(outcome, opts) == 1
    text = pipeline.summary(outcome)
    assert "failed     3.13.5-bookworm-amd64" in text
    assert "| gcc: error: foo.c" in text
    assert "held" in text and "3.13.5-bookworm" in text


def test_keep_going_builds_the_rest_and_require_publishes_partial_lists(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry(), compile_error={"i386"}), FakePublish()
    opts = options(root, keep_going=True, require=("amd64",))
    outcome = pipeline.run(opts, make_deps(docker, publish))
    statuses = [r.status for r in outcome.results]
    assert statuses.count(JobStatus.FAILED) == 2 and statuses.count(JobStatus.BUILT) == 3
    tags = {t.tag: t for t in outcome.tags}
    assert tags["3.13.5"].published and tags["3.13.5"].entries == ("3.13.5-bookworm-amd64",)
    assert pipeline.exit_code(outcome, opts) == 0
    strict = options(root, keep_going=True)
    assert pipeline.exit_code(pipeline.run(strict, make_deps(docker, publish)), strict) == 1


def test_transient_push_is_retried_without_rebuilding(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry(), transient_push=2), FakePublish()
    outcome = pipeline.run(options(root, arches=("amd64",), variants=("bookworm",)),
                           make_deps(docker, publish))  # fmt: skip
    assert [r.status for r in outcome.results] == [JobStatus.BUILT]
    assert docker.count("build") == 1 and docker.count("push") == 3


def test_failed_smoke_test_fails_the_job_and_pushes_nothing(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry(), bad_smoke={"i386"}), FakePublish()
    outcome = pipeline.run(options(root, keep_going=True), make_deps(docker, publish))
    bad = [r for r in outcome.results if r.status is JobStatus.FAILED]
    assert [r.job_id for r in bad] == ["3.13.5-bookworm-i386", "3.13.5-slim-bookworm-i386"]
    assert bad[0].reason is not None and bad[0].reason.startswith("smoke test python --version")
    assert not any("i386" in ref for ref in docker.registry.tags)  # never pushed
    again = FakeDocker(docker.registry)
    pipeline.run(options(root, keep_going=True), make_deps(again, publish))
    assert again.count("build") == 2  # the failed ones are built again, nothing else


def test_ctrl_c_stops_cleanly_publishes_nothing_and_the_next_run_resumes(root: Path) -> None:
    reg = FakeRegistry()
    docker, publish = FakeDocker(reg, interrupt_build="i386"), FakePublish()
    opts = options(root, jobs=1)
    outcome = pipeline.run(opts, make_deps(docker, publish))
    assert outcome.interrupted and pipeline.exit_code(outcome, opts) == 130
    assert publish.calls == []
    statuses = {r.job_id: (r.status, r.reason) for r in outcome.results}
    assert statuses["3.13.5-bookworm-amd64"] == (JobStatus.BUILT, None)
    assert statuses["3.13.5-bookworm-i386"] == (JobStatus.NOT_BUILT, "interrupted")
    assert statuses["3.13.5-trixie-amd64"] == (JobStatus.NOT_BUILT, "interrupted")
    record = runrecord.load(
        runrecord.path_for(root / ".orchestrate", "localhost:5000/python", "3.13.5"), "3.13.5"
    )
    assert record["3.13.5-bookworm-amd64"].status == "built"
    assert record["3.13.5-trixie-amd64"].reason == "interrupted"
    assert "Interrupted: no tag was published" in pipeline.summary(outcome)
    resumed = FakeDocker(reg)
    outcome = pipeline.run(opts, make_deps(resumed, publish))
    assert resumed.count("build") == 4  # everything but the job that had finished
    assert pipeline.exit_code(outcome, opts) == 0


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
    outcome = pipeline.run(opts, make_deps(docker, publish))
    by_id = {r.job_id: r for r in outcome.results}
    win = by_id["3.8.0b3-windowsservercore-1809-windows-amd64"]
    assert (win.status, win.reason) == (JobStatus.NOT_BUILT, "not built: no Windows builder")
    assert by_id["3.8.0b3-buster-amd64"].status is JobStatus.BUILT
    # The 2019 Dockerfiles take neither the download base nor the profile.
    build = next(c for c in docker.calls if "build" in c)
    assert not any(a.startswith("PYTHON_") for a in build)
    assert "--network" not in build
    text = pipeline.summary(outcome)
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
    outcome = pipeline.run(opts, make_deps(docker, publish))
    assert [r.status for r in outcome.results] == [JobStatus.BUILT]
    build = next(c for c in docker.calls if "build" in c)
    assert build[:3] == ("docker", "--context", "win")
    assert docker.count("run") == 0  # no smoke test without a Windows engine here


def test_missing_parent_blocks_only_its_platform(root: Path) -> None:
    reg = FakeRegistry(missing={("debian:bookworm-slim", "linux/386")})
    docker, publish = FakeDocker(reg), FakePublish()
    outcome = pipeline.run(options(root, keep_going=True), make_deps(docker, publish))
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
    outcome = pipeline.run(opts, make_deps(docker, publish))
    assert outcome.dry_run and pipeline.exit_code(outcome, opts) == 0
    assert [c[:3] for c in docker.calls] == [("docker", "buildx", "inspect")]
    assert not (root / "dockerfiles").exists() and not (root / ".orchestrate").exists()
    text = pipeline.summary(outcome)
    assert "docker buildx build --platform linux/386 --file" in text
    assert text.count("docker buildx build") == 5


def test_push_by_digest_writes_results_and_publishes_nothing(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    out = root / "out" / "i386.json"
    opts = options(root, arches=("i386",), push_by_digest=True, results=out)
    outcome = pipeline.run(opts, make_deps(docker, publish))
    assert publish.calls == [] and pipeline.exit_code(outcome, opts) == 0
    from orchestrator import results

    version, read = results.read_results([str(out)])
    assert version == "3.13.5" and [r.status for r in read] == [JobStatus.BUILT] * 2


# --------------------------------------------------------------------------- steps alone


def job(arch: str, variant: str = "bookworm", *, heavy: bool = False) -> Job:
    from orchestrator.platforms import ARCHES

    return Job(
        id=f"3.13.5-{variant}-{arch}",
        version="3.13.5",
        line="3.13",
        variant=variant,
        arch=arch,
        platform=ARCHES[arch].platform,
        family="debian",
        parent="buildpack-deps:bookworm",
        dockerfile=PurePosixPath("d/Dockerfile"),
        context=PurePosixPath("d"),
        build_args=(),
        tags=(),
        shared_tags=(),
        builder=None,
        pgo=heavy,
        profile_task=None,
    )


def test_schedule_keeps_order_and_caps_concurrency() -> None:
    jobs = [job("amd64", f"v{i}") for i in range(6)]
    lock = threading.Lock()
    state = {"now": 0, "most": 0}
    started: list[str] = []

    def run_one(j: Job) -> str:
        with lock:
            started.append(j.id)
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        return j.id

    results, interrupted = pipeline.schedule(
        jobs, run_one, slots=2, interrupted=threading.Event(), poll=0.01
    )
    assert not interrupted and sorted(results) == sorted(j.id for j in jobs)
    assert state["most"] == 2
    assert started[:2] == [jobs[0].id, jobs[1].id]


def test_heavy_jobs_take_two_slots() -> None:
    jobs = [job("arm64v8", "a"), job("amd64", "b"), job("arm64v8", "c"), job("amd64", "d")]
    lock = threading.Lock()
    running: set[str] = set()
    seen: list[set[str]] = []

    def run_one(j: Job) -> str:
        with lock:
            running.add(j.id)
            seen.append(set(running))
        time.sleep(0.02)
        with lock:
            running.discard(j.id)
        return j.id

    pipeline.schedule(jobs, run_one, slots=2, interrupted=threading.Event(), poll=0.01)
    for snapshot in seen:  # an emulated job never shares the two slots
        assert not (any("arm64v8" in s for s in snapshot) and len(snapshot) > 1), snapshot
    assert pipeline.cost(True, 1) == 1 and pipeline.cost(True, 4) == 2


def test_schedule_interrupted_by_a_job_stops_everything() -> None:
    jobs = [job("amd64", f"v{i}") for i in range(4)]
    calls: list[str] = []
    stopped: list[bool] = []

    def run_one(j: Job) -> str:
        calls.append(j.id)
        if j.id.endswith("v1-amd64"):
            raise KeyboardInterrupt
        return j.id

    event = threading.Event()
    results, interrupted = pipeline.schedule(
        jobs, run_one, slots=1, interrupted=event, on_interrupt=lambda: stopped.append(True),
        poll=0.01,
    )  # fmt: skip
    assert interrupted and event.is_set() and stopped == [True]
    assert list(results) == [jobs[0].id] and calls == [jobs[0].id, jobs[1].id]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_schedule_turns_a_signal_into_an_interrupt_without_losing_a_result(sig: int) -> None:
    # A real signal to this process, sent by the job itself at the moment it finishes (as a
    # user's Ctrl-C after the first job): the job's result is kept, nothing new starts, and
    # no KeyboardInterrupt escapes. The previous handler is restored afterwards.
    jobs = [job("amd64", f"v{i}") for i in range(3)]
    stopped: list[bool] = []
    before = signal.getsignal(sig)

    def run_one(j: Job) -> str:
        if j.id.endswith("v0-amd64"):
            os.kill(os.getpid(), sig)
        return j.id

    event = threading.Event()
    results, interrupted = pipeline.schedule(
        jobs, run_one, slots=1, interrupted=event, on_interrupt=lambda: stopped.append(True),
        poll=0.01,
    )  # fmt: skip
    assert interrupted and event.is_set() and stopped == [True]
    assert list(results) == [jobs[0].id]
    assert signal.getsignal(sig) is before


def test_schedule_stop_lets_running_jobs_finish_but_starts_nothing() -> None:
    jobs = [job("amd64", f"v{i}") for i in range(4)]
    results, _ = pipeline.schedule(
        jobs, lambda j: j.id, slots=1, interrupted=threading.Event(),
        stop=lambda r: r.endswith("v1-amd64"), poll=0.01,
    )  # fmt: skip
    assert list(results) == [jobs[0].id, jobs[1].id]


def test_network() -> None:
    assert pipeline.network_for((("PYTHON_DOWNLOAD_BASE", "http://127.0.0.1:8088/x"),)) == "host"
    assert pipeline.network_for((("PYTHON_DOWNLOAD_BASE", "http://localhost/x"),)) == "host"
    assert pipeline.network_for((("PYTHON_DOWNLOAD_BASE", pipeline.PYTHON_ORG),)) is None
    assert pipeline.network_for(()) is None


def test_heaviness_follows_the_profile() -> None:
    pgo = job("amd64", heavy=True)
    assert pipeline.is_heavy(pgo, (("PYTHON_BUILD_PROFILE", "full"),))
    assert not pipeline.is_heavy(pgo, (("PYTHON_BUILD_PROFILE", "quick"),))
    assert pipeline.is_heavy(job("arm32v7"), ())
    assert pipeline.default_jobs(2) == 2 and pipeline.default_jobs(0) == 1


def test_resolve_routes() -> None:
    plan = Plan("3.13.5", "3.13", (job("amd64"), job("windows-amd64", "ws")), (), ())
    routes, skipped = pipeline.resolve_routes(plan, {})
    assert routes == {"3.13.5-bookworm-amd64": DEFAULT_ROUTE}
    assert skipped == {"3.13.5-ws-windows-amd64": "not built: no Windows builder"}
    routes, skipped = pipeline.resolve_routes(
        plan, {"amd64": "d2", "windows-amd64": "win"}, contexts=["default", "d2"], builders=["win"]
    )
    assert routes["3.13.5-bookworm-amd64"] == Route(context="d2")
    assert routes["3.13.5-ws-windows-amd64"] == Route(builder="win")
    with pytest.raises(ConfigError, match="amd64: builder 'nope'"):
        pipeline.resolve_routes(plan, {"amd64": "nope"})


def test_preflight_reports_unreachable_and_unable_builders() -> None:
    plan = Plan("3.13.5", "3.13", (job("amd64"), job("riscv64" if False else "s390x")), (), ())
    routes = {
        "3.13.5-bookworm-amd64": Route(context="down"),
        "3.13.5-bookworm-s390x": DEFAULT_ROUTE,
    }

    def platforms_of(route: Route) -> Sequence[str]:
        if route.context == "down":
            raise CommandFailed(["docker"], 1, "Cannot connect to the Docker daemon")
        return ("linux/amd64",)

    pre = pipeline.preflight(plan, routes, platforms_of=platforms_of, registry=FakeRegistry())
    assert pre.blocked == {
        "3.13.5-bookworm-amd64": (
            "context down does not answer: command failed with exit code 1: docker"
        ),
        "3.13.5-bookworm-s390x": "default builder cannot build linux/s390x (it has linux/amd64)",
    }
    assert pre.parents == {}


def test_platform_matches() -> None:
    from orchestrator import platforms
    from orchestrator.platforms import ARCHES

    arm64 = ARCHES["arm64v8"].platform
    assert platforms.matches({"os": "linux", "architecture": "arm64"}, arm64)
    assert platforms.matches({"os": "linux", "architecture": "arm64", "variant": "v8"}, arm64)
    arm7 = ARCHES["arm32v7"].platform
    assert not platforms.matches({"os": "linux", "architecture": "arm", "variant": "v6"}, arm7)
    win = ARCHES["windows-amd64"].platform.with_os_version("10.0.17763.615")
    assert not platforms.matches(
        {"os": "windows", "architecture": "amd64", "os.version": "10.0.14393.3085"}, win
    )
