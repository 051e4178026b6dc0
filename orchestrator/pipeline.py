"""``orchestrate build``: the ordered steps of a build run, each a small function tested alone.

1. ``load_matrix`` and ``make_plan`` (as ``orchestrate plan``);
2. ``render_step``: the Dockerfiles of the plan's jobs, written where they changed;
3. ``resolve_routes``: each job's builder (``Job.builder`` or ``--builder ARCH=NAME``); Windows
   jobs without a configured builder are NOT_BUILT "not built: no Windows builder";
4. ``preflight``: every builder answers and can build its jobs' platforms; every base image of
   the job's Dockerfile resolves, for the platform it is pulled for, to a manifest digest in the
   registry (Docker Hub names go to the farm's Docker Hub mirror); a job that fails here is
   NOT_BUILT with the reason;
5. ``compute_keys``: the content key of every job (``orchestrator.contentkey``);
6. ``find_done``: one HEAD per job for ``<repository>:build-<key12>-<arch>``; present → SKIPPED;
7. ``schedule`` + ``build_job``: build (``buildx build --load``), the PGO evidence check of the
   log, smoke test, push, under the one retry policy, at most ``--jobs`` slots busy (heavy jobs
   take two), every finished job written to the run record at once;
8. ``publish``: the manifest lists (``publish.publish``), unless ``--push-by-digest``, a dry
   run, or an interrupted run (a partial run never moves a tag);
9. ``write_reports``: the release report of every published tag (``report.publish_report``);
10. ``summary`` and ``exit_code``.

Ctrl-C (or SIGTERM) stops scheduling (``schedule`` handles both signals while jobs run; before
that, ``commands.build`` turns SIGTERM into KeyboardInterrupt, as Ctrl-C already is), interrupts
the running ``docker`` children of this process (by PID, found through /proc),
marks the jobs that did not finish NOT_BUILT "interrupted", publishes nothing and exits 130.
The same command afterwards continues where it stopped: finished jobs are found in the
registry under their content-key tags and skipped.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Protocol, TypeVar

import structlog

from orchestrator import (
    buildx,
    contentkey,
    manifest,
    platforms,
    proc,
    progress,
    registry,
    render,
    report,
    retrying,
    runrecord,
    smoke,
)
from orchestrator import dockerfile as dockerfile_text
from orchestrator import matrix as matrixmod
from orchestrator import plan as planmod
from orchestrator import publish as publishmod
from orchestrator import results as resultsmod
from orchestrator.errors import (
    CheckFailed,
    CommandFailed,
    ConfigError,
    FarmError,
    OrchestratorError,
    RegistryError,
)
from orchestrator.matrix import Matrix
from orchestrator.plan import Job, Plan
from orchestrator.platforms import Platform
from orchestrator.progress import ProgressView, State
from orchestrator.results import JobResult, JobStatus

log = structlog.get_logger(__name__)

T = TypeVar("T")

NO_WINDOWS_BUILDER = "not built: no Windows builder"
INTERRUPTED = "interrupted"
PYTHON_ORG = "https://www.python.org/ftp/python"
DOWNLOAD_ARG = "PYTHON_DOWNLOAD_BASE"
PROFILE_ARG = "PYTHON_BUILD_PROFILE"
LOG_TAIL = 25


def default_jobs(cpus: int | None = None) -> int:
    """Slots for concurrent builds: one per core (a heavy job takes two, see ``cost``).

    On the 2-core farm that is two light jobs (native quick builds, small images) at once, or
    one emulated/PGO job alone: each CPython build already runs ``make -j$(nproc)``.
    """
    return max(1, cpus if cpus is not None else (os.cpu_count() or 1))


def cost(heavy: bool, slots: int) -> int:
    """How many slots a job takes: heavy (emulated or PGO) jobs two, others one."""
    return min(slots, 2 if heavy else 1)


def is_heavy(job: Job, build_args: Sequence[tuple[str, str]]) -> bool:
    """Emulated, or a PGO build whose profile run really happens (not ``--profile quick``)."""
    return job.emulated or (job.pgo and dict(build_args).get(PROFILE_ARG) != "quick")


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    """Everything ``orchestrate build`` was asked to do."""

    version: str
    root: Path
    variants: tuple[str, ...] = ()
    arches: tuple[str, ...] = ()
    registry: str = "localhost:5000"
    repository: str = "python"
    jobs: int = field(default_factory=default_jobs)
    dry_run: bool = False
    keep_going: bool = False
    require: tuple[str, ...] = ()
    profile: str | None = "quick"
    download_base: str | None = None
    push_by_digest: bool = False
    results: Path | None = None
    builders: Mapping[str, str] = field(default_factory=dict)
    hub_mirror: str | None = "localhost:5000"
    logs_dir: Path | None = None
    state_dir: Path | None = None
    oci_index: bool = False
    no_cache: bool = False
    policy: retrying.Policy = retrying.DEFAULT

    @property
    def image_repository(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def logs(self) -> Path:
        return (self.logs_dir or self.root / "logs") / self.version

    @property
    def state(self) -> Path:
        return self.state_dir or self.root / ".orchestrate"


# --------------------------------------------------------------------------- 1. matrix, plan


def load_matrix(root: Path) -> Matrix:
    return matrixmod.load(root / "matrix.yml")


def make_plan(matrix: Matrix, options: Options) -> Plan:
    return planmod.expand(matrix, options.version, arches=options.arches, variants=options.variants)


# --------------------------------------------------------------------------- 2. render


def render_step(
    matrix: Matrix, plan: Plan, root: Path, *, write: bool = True
) -> tuple[dict[str, str], list[PurePosixPath]]:
    """The Dockerfile text of every job (by job id), and the files written because they changed."""
    texts: dict[str, str] = {}
    by_path: dict[PurePosixPath, str] = {}
    for job in plan.jobs:
        if job.dockerfile not in by_path:
            by_path[job.dockerfile] = render.render_job(matrix, job, root=root)
        texts[job.id] = by_path[job.dockerfile]
    written = render.write(root, by_path) if write else []
    for path in written:
        log.info("render.written", path=str(path))
    return texts, written


def build_args_for(job: Job, dockerfile: str, options: Options) -> tuple[tuple[str, str], ...]:
    """The job's own build args, plus the download base and build profile where the Dockerfile
    takes them (the 3.13 templates do; the 2019 ones must stay byte-exact and do not)."""
    args = dict(job.build_args)
    declared = dockerfile_text.declared_args(dockerfile)
    if DOWNLOAD_ARG in declared and options.download_base:
        args[DOWNLOAD_ARG] = options.download_base
    if PROFILE_ARG in declared and options.profile:
        args[PROFILE_ARG] = options.profile
    return tuple(sorted(args.items()))


def network_for(build_args: Sequence[tuple[str, str]]) -> str | None:
    """``host`` when the build downloads from a loopback mirror (only the host reaches it)."""
    base = dict(build_args).get(DOWNLOAD_ARG, "")
    host = re.sub(r"^[a-z]+://", "", base).split("/")[0].split(":")[0]
    return (
        "host" if host in ("localhost", "127.0.0.1", "[::1]") or host.startswith("127.") else None
    )


# --------------------------------------------------------------------------- 3. routes


def resolve_routes(
    plan: Plan,
    overrides: Mapping[str, str],
    *,
    contexts: Sequence[str] = (),
    builders: Sequence[str] = (),
) -> tuple[dict[str, buildx.Route], dict[str, str]]:
    """Each job's route, and the jobs that cannot be built with why (Windows without builder)."""
    routes: dict[str, buildx.Route] = {}
    skipped: dict[str, str] = {}
    problems: list[str] = []
    for job in plan.jobs:
        name = overrides.get(job.arch, job.builder)
        if job.is_windows and not name:
            skipped[job.id] = NO_WINDOWS_BUILDER
            continue
        try:
            routes[job.id] = buildx.parse_route(name, contexts=contexts, builders=builders)
        except ConfigError as exc:
            problems.extend(f"{job.arch}: {p}" for p in exc.problems)
    if problems:
        raise ConfigError(sorted(set(problems)))
    return routes, skipped


# --------------------------------------------------------------------------- 4. preflight


class Registry(Protocol):
    """What the pipeline asks of registries (``RegistryView`` is the real one)."""

    def parent_digest(self, parent: str, platform: Platform) -> str: ...
    def tag_digest(self, repository: str, tag: str) -> str | None: ...


@dataclass(frozen=True)
class Preflight:
    parents: dict[str, str]  # job id → parent manifest digest for its platform
    blocked: dict[str, str]  # job id → why it cannot be built


def preflight(
    plan: Plan,
    routes: Mapping[str, buildx.Route],
    *,
    platforms_of: Callable[[buildx.Route], Sequence[str]],
    registry: Registry,
    texts: Mapping[str, str] | None = None,
) -> Preflight:
    """Builders reachable and able to build each platform; base images resolvable per platform.

    ``parents`` holds, per job, ``image@digest`` of every base image (one per line, ``scratch``
    for an image that starts empty): what the content key covers of the job's bases.
    """
    blocked: dict[str, str] = {}
    parents: dict[str, str] = {}
    answers: dict[buildx.Route, Sequence[str] | str] = {}
    for route in dict.fromkeys(routes.values()):
        try:
            answers[route] = platforms_of(route)
        except OrchestratorError as exc:
            answers[route] = f"{route.describe()} does not answer: {_first_line(exc)}"
    resolved: dict[tuple[str, Platform], str] = {}
    for job in plan.jobs:
        job_route = routes.get(job.id)
        if job_route is None:
            continue
        answer = answers[job_route]
        if isinstance(answer, str):
            blocked[job.id] = answer
            continue
        if answer and not platforms.builder_can_build(answer, job.platform):
            blocked[job.id] = (
                f"{job_route.describe()} cannot build {job.platform.oci}"
                f" (it has {', '.join(answer)})"
            )
            continue
        text = texts.get(job.id, "") if texts is not None else ""
        lines: list[str] = []
        for image, platform in dockerfile_text.base_images(
            text, target=job.platform, parent=job.parent
        ):
            key = (image, platform)
            if key not in resolved:
                try:
                    resolved[key] = registry.parent_digest(image, platform)
                except OrchestratorError as exc:
                    resolved[key] = "!" + _first_line(exc)
            if resolved[key].startswith("!"):
                blocked[job.id] = f"parent {image} for {platform.oci}: {resolved[key][1:]}"
                break
            lines.append(f"{image}@{resolved[key]}")
        else:
            parents[job.id] = "\n".join(lines) or "scratch"
    return Preflight(parents, blocked)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# --------------------------------------------------------------------------- 5. keys, 6. done


def compute_keys(
    plan: Plan,
    texts: Mapping[str, str],
    parents: Mapping[str, str],
    args: Mapping[str, tuple[tuple[str, str], ...]],
    root: Path,
) -> dict[str, str]:
    """The content key of every job whose parent resolved."""
    contexts: dict[PurePosixPath, tuple[contentkey.ContextFile, ...]] = {}
    keys: dict[str, str] = {}
    for job in plan.jobs:
        if job.id not in parents:
            continue
        if job.context not in contexts:
            contexts[job.context] = contentkey.context_files(root / job.context)
        keys[job.id] = contentkey.content_key(
            dockerfile=texts[job.id].encode("utf-8"),
            context=contexts[job.context],
            build_args=args[job.id],
            platform=job.platform,
            parent_digest=parents[job.id],
        )
    return keys


def find_done(
    plan: Plan, keys: Mapping[str, str], registry: Registry, repository: str
) -> dict[str, str]:
    """Jobs whose image the registry already holds under its key tag → that image's digest."""
    done: dict[str, str] = {}
    for job in plan.jobs:
        if job.id in keys:
            digest = registry.tag_digest(repository, contentkey.key_tag(keys[job.id], job.arch))
            if digest:
                done[job.id] = digest
    return done


# --------------------------------------------------------------------------- 7. schedule


def schedule(
    jobs: Sequence[Job],
    run_one: Callable[[Job], T],
    *,
    slots: int,
    interrupted: threading.Event,
    heavy: Callable[[Job], bool] = lambda job: job.heavy,
    stop: Callable[[T], bool] = lambda _: False,
    on_interrupt: Callable[[], None] = lambda: None,
    poll: float = 0.5,
) -> tuple[dict[str, T], bool]:
    """Run ``run_one`` over ``jobs`` in order with at most ``slots`` busy (``cost`` per job).

    Jobs start strictly in plan order (a heavy job waits for its slots rather than being
    overtaken, so the order of a run is predictable). When ``stop(result)`` is true (a failure
    without ``--keep-going``) nothing new starts. A KeyboardInterrupt, in this thread or raised
    by ``run_one``, sets ``interrupted``, calls ``on_interrupt`` (which stops the running
    children) and waits for the running jobs to come back. Returns the results by job id (jobs
    never started are absent) and whether the run was interrupted.

    While it runs, SIGINT and SIGTERM do the same through ``proc.signals_call`` instead of raising
    KeyboardInterrupt wherever the main thread happens to be: an exception landing between
    taking a finished future out of ``running`` and storing its result would lose a job that
    was built and pushed (it would then be recorded "interrupted").
    """
    slots = max(1, slots)
    pending = deque(jobs)
    running: dict[Future[T], tuple[Job, int]] = {}
    results: dict[str, T] = {}
    busy = 0
    halted = False
    error: BaseException | None = None

    def interrupt() -> None:
        if not interrupted.is_set():
            interrupted.set()
            log.warning("build.interrupted", running=[j.id for j, _ in running.values()])
            on_interrupt()

    with (
        proc.signals_call(interrupt),
        ThreadPoolExecutor(max_workers=slots, thread_name_prefix="job") as pool,
    ):
        while pending or running:
            try:
                while pending and not (halted or interrupted.is_set() or error):
                    need = cost(heavy(pending[0]), slots)
                    if busy + need > slots:
                        break
                    job = pending.popleft()
                    busy += need
                    running[pool.submit(run_one, job)] = (job, need)
                if not running:
                    break
                done, _ = wait(list(running), timeout=poll, return_when=FIRST_COMPLETED)
                for future in done:
                    job, need = running.pop(future)
                    busy -= need
                    exc = future.exception()
                    if isinstance(exc, KeyboardInterrupt):
                        interrupt()
                    elif exc is not None:
                        error = error or exc
                    else:
                        result = future.result()
                        results[job.id] = result
                        halted = halted or stop(result)
            except KeyboardInterrupt:
                interrupt()
    if error is not None:
        raise error
    return results, interrupted.is_set()


# --------------------------------------------------------------------------- 7. one job


@dataclass(frozen=True)
class JobPlan:
    """Everything needed to build one job, decided before any build starts."""

    job: Job
    route: buildx.Route
    key: str
    ref: str  # <registry>/<repository>:build-<key12>-<arch>
    argv: tuple[str, ...]
    checks: tuple[smoke.Check, ...]
    log_file: Path
    heavy: bool
    pgo: bool  # a PGO build whose profile run must show in the log


def plan_job(
    job: Job, *, route: buildx.Route, key: str, args: tuple[tuple[str, str], ...], options: Options
) -> JobPlan:
    """The exact commands of one job (pure): the buildx argv, the smoke checks, the log file."""
    ref = f"{options.image_repository}:{contentkey.key_tag(key, job.arch)}"
    argv = buildx.build_argv(
        route=route,
        platform=job.platform,
        dockerfile=options.root / job.dockerfile,
        context=options.root / job.context,
        tag=ref,
        build_args=args,
        labels=((contentkey.KEY_LABEL, key),),
        metadata_file=options.logs / f"{job.id}.metadata.json",
        network=network_for(args),
        no_cache=options.no_cache,
    )
    checks = (
        smoke.checks(
            route=route, image=ref, platform=job.platform, version=job.version, family=job.family
        )
        if smoke.testable(job.platform)
        else ()
    )
    log_file = options.logs / f"{job.id}.log"
    pgo = job.pgo and dict(args).get(PROFILE_ARG) != "quick"
    return JobPlan(job, route, key, ref, tuple(argv), checks, log_file, is_heavy(job, args), pgo)


class Interrupted(Exception):
    """Raised inside a job when the run was interrupted between two steps."""


def build_job(
    jp: JobPlan,
    *,
    options: Options,
    view: ProgressView,
    interrupted: threading.Event,
    run: buildx.Runner = proc.run,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> JobResult:
    """Build, smoke-test and push one job; every failure becomes a JobResult, never an error.

    The build is retried only for transient failures (``retrying.is_transient``: a registry or
    network hiccup while pulling); the push is retried on its own, without rebuilding, since
    the image is in the engine's store. A compile error or a failed smoke test is final.
    """
    job = jp.job
    start = clock()
    jp.log_file.parent.mkdir(parents=True, exist_ok=True)
    jp.log_file.write_text(f"# {job.id} on {jp.route.describe()}, content key {jp.key}\n")

    def guarded(step: Callable[[], T]) -> Callable[[], T]:
        def call() -> T:
            if interrupted.is_set():
                raise Interrupted
            return step()

        return call

    def result(status: JobStatus, **kw: object) -> JobResult:
        return JobResult(
            job_id=job.id,
            status=status,
            platform=job.platform,
            repository=options.image_repository,
            content_key=jp.key,
            log=str(jp.log_file),
            **kw,  # type: ignore[arg-type]
        )

    try:
        view.update(job.id, State.BUILDING, jp.route.describe())
        retrying.call(
            guarded(lambda: buildx.build(jp.argv, log_file=jp.log_file, run=run)),
            policy=options.policy,
            what=f"build {job.id}",
            sleep=sleep,
        )
        if jp.pgo:
            problem = smoke.profile_evidence(jp.log_file.read_text(errors="replace")).problem()
            if problem:
                raise CheckFailed(problem)
        if jp.checks:
            view.update(job.id, State.SMOKE)
            guarded(lambda: smoke.run_checks(jp.checks, log_file=jp.log_file, run=run))()
        view.update(job.id, State.PUSHING, jp.ref)
        digest = retrying.call(
            guarded(lambda: buildx.push(jp.route, jp.ref, log_file=jp.log_file, run=run)),
            policy=options.policy,
            what=f"push {job.id}",
            sleep=sleep,
        )
    except Interrupted:
        # KeyboardInterrupt is not caught here: it reaches ``schedule``, which stops the run.
        return result(JobStatus.NOT_BUILT, digest=None, seconds=None, reason=INTERRUPTED)
    except (CommandFailed, CheckFailed, OrchestratorError) as exc:
        if interrupted.is_set():
            return result(JobStatus.NOT_BUILT, digest=None, seconds=None, reason=INTERRUPTED)
        return result(
            JobStatus.FAILED,
            digest=None,
            seconds=round(clock() - start, 1),
            reason=failure_reason(exc),
            log_tail=log_tail(jp.log_file),
        )
    return result(JobStatus.BUILT, digest=digest, seconds=round(clock() - start, 1))


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, CheckFailed):
        return str(exc)
    if isinstance(exc, CommandFailed):
        what = {"push": "push", "run": "smoke test"}.get(
            next((a for a in exc.argv if a in ("push", "build", "run")), ""), "build"
        )
        return f"{what} failed (exit code {exc.returncode})"
    return _first_line(exc)


def log_tail(path: Path, lines: int = LOG_TAIL) -> tuple[str, ...]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(line.rstrip() for line in text.splitlines()[-lines:])


def _stop_children_quietly() -> None:
    proc.stop_children()


# --------------------------------------------------------------------------- the registry view


class RegistryView:
    """Parent digests (through the Docker Hub mirror) and key-tag lookups, over registry.Client."""

    def __init__(self, *, hub_mirror: str | None, policy: retrying.Policy = retrying.DEFAULT):
        self.hub_mirror = hub_mirror
        self.policy = policy
        self._clients: dict[str, registry.Client] = {}
        self._lock = threading.Lock()

    def client(self, host: str) -> registry.Client:
        with self._lock:
            if host not in self._clients:
                self._clients[host] = registry.Client(host, policy=self.policy)
            return self._clients[host]

    def reachable(self, host: str) -> None:
        """FarmError at once (no retries) when ``host`` does not answer at all."""
        probe = registry.Client(host, policy=replace(self.policy, attempts=1), timeout=10)
        try:
            probe.request("GET", "/v2/", ok=(200, 401), what=f"GET {host}/v2/")
        except RegistryError as exc:
            if exc.status is None:
                raise FarmError(
                    f"registry {host} does not answer ({_first_line(exc)}); "
                    "is the farm up? (scripts/farm up)"
                ) from exc

    def parent_ref(self, parent: str) -> registry.Reference:
        """Docker Hub names go to the engine's Docker Hub mirror (the farm's registry)."""
        ref = registry.parse_reference(parent)
        if ref.registry == registry.DOCKER_HUB_API and self.hub_mirror:
            ref = registry.parse_reference(parent, registry=self.hub_mirror)
        return ref

    def parent_digest(self, parent: str, platform: Platform) -> str:
        ref = self.parent_ref(parent)
        where = f"{ref.registry}/{ref.repository}:{ref.reference}"
        client = self.client(ref.registry)
        manifest = client.get_manifest(ref.repository, ref.reference)
        doc = manifest.json()
        if not manifest.is_list:
            config = json.loads(client.get_blob(ref.repository, str(doc["config"]["digest"])))
            if not platforms.matches(config, platform):
                raise ConfigError(
                    f"{where} is a single {config.get('os')}/{config.get('architecture')} image"
                )
            return manifest.digest
        entries = [e for e in doc.get("manifests", []) if isinstance(e, dict)]
        for entry in entries:
            if platforms.matches(entry.get("platform") or {}, platform):
                return str(entry["digest"])
        have = ", ".join(
            "/".join(str(p[k]) for k in ("os", "architecture", "variant") if p.get(k))
            for p in (e.get("platform") or {} for e in entries)
        )
        raise ConfigError(f"{where} has no {platform.oci} image (it has {have or 'none'})")

    def tag_digest(self, repository: str, tag: str) -> str | None:
        ref = registry.parse_reference(f"{repository}:{tag}")
        head = self.client(ref.registry).head_manifest(ref.repository, tag)
        return None if head is None else head.digest


# --------------------------------------------------------------------------- the whole run


Publisher = Callable[..., list[manifest.TagOutcome]]
Reporter = Callable[
    [Plan, Sequence[manifest.TagOutcome], Sequence[JobResult], "Options"], list[str]
]


@dataclass
class Deps:
    """What a run talks to; the defaults are the real ones, tests inject their own."""

    run: buildx.Runner = proc.run
    registry: Registry | None = None
    platforms_of: Callable[[buildx.Route], Sequence[str]] | None = None
    contexts: Callable[[], Sequence[str]] | None = None
    builders: Callable[[], Sequence[str]] | None = None
    publish: Publisher | None = None
    report: Reporter | None = None  # None → write_reports
    view: Callable[[Sequence[str]], ProgressView] = progress.choose
    interrupted: threading.Event = field(default_factory=threading.Event)
    on_interrupt: Callable[[], None] = field(default=_stop_children_quietly)
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Outcome:
    """What a run did: every job's result, every tag's outcome, and how it ended."""

    plan: Plan
    results: tuple[JobResult, ...]
    tags: tuple[manifest.TagOutcome, ...]
    interrupted: bool = False
    dry_run: bool = False
    published: bool = False  # lists were assembled (not --push-by-digest, not interrupted)
    commands: tuple[tuple[str, str], ...] = ()  # dry run: (job id, shell-quoted argv or why not)
    reports: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def write_reports(
    plan: Plan,
    outcomes: Sequence[manifest.TagOutcome],
    results: Sequence[JobResult],
    options: Options,
) -> list[str]:
    """Step 9: the release report (markdown + JSON, ``reports/<repository>/<tag>.*``) of every
    tag this run published, read back from the registry by ``orchestrator.report``."""
    by_id = {r.job_id: r for r in results}
    written: list[str] = []
    for o in outcomes:
        if not o.published:
            continue
        entries = [by_id[i] for i in o.entries if i in by_id]
        seconds = [r.seconds for r in entries if r.seconds is not None]
        keys = {r.content_key for r in entries}
        job = report.JobInfo(
            status="built" if any(r.status is JobStatus.BUILT for r in entries) else "skipped",
            duration_seconds=max(seconds) if seconds else None,
            content_key=keys.pop() if len(keys) == 1 else None,
        )
        md, js = report.publish_report(
            f"{options.image_repository}:{o.tag}", options.root / "reports", job=job
        )
        written += [str(md), str(js)]
    return written


@dataclass(frozen=True)
class Prepared:
    """The outcome of steps 1-6: the plan, each job's commands, and what needs no build."""

    plan: Plan
    keys: dict[str, str]
    jobs: dict[str, JobPlan]  # jobs to build, by id
    decided: dict[str, JobResult]  # jobs skipped or not buildable, by id


def prepare(options: Options, deps: Deps, reg: Registry) -> Prepared:
    """Steps 1-6: matrix, plan, render, routes, preflight, content keys, what is done already."""
    matrix = load_matrix(options.root)
    plan = make_plan(matrix, options)
    if options.require:  # a bad --require is bad input: say so before anything runs
        manifest.decide(plan, [], require=options.require, keep_going=options.keep_going)
    texts, _ = render_step(matrix, plan, options.root, write=not options.dry_run)
    args = {job.id: build_args_for(job, texts[job.id], options) for job in plan.jobs}
    names = [options.builders.get(j.arch, j.builder) for j in plan.jobs]
    lookup = any(n and ":" not in n and n != "default" for n in names)
    contexts = (deps.contexts or (lambda: buildx.list_contexts(run=deps.run)))() if lookup else ()
    builders = (deps.builders or (lambda: buildx.list_builders(run=deps.run)))() if lookup else ()
    routes, unroutable = resolve_routes(
        plan, options.builders, contexts=contexts, builders=builders
    )
    platforms_of = deps.platforms_of or (lambda r: buildx.builder_platforms(r, run=deps.run))
    pre = preflight(plan, routes, platforms_of=platforms_of, registry=reg, texts=texts)
    keys = compute_keys(plan, texts, pre.parents, args, options.root)
    done = find_done(plan, keys, reg, options.image_repository)
    decided: dict[str, JobResult] = {}
    for job in plan.jobs:
        why = unroutable.get(job.id) or pre.blocked.get(job.id)
        if why:
            decided[job.id] = not_built(job, why, keys.get(job.id), options)
        elif job.id in done:
            tag = contentkey.key_tag(keys[job.id], job.arch)
            decided[job.id] = JobResult(
                job.id,
                JobStatus.SKIPPED,
                job.platform,
                options.image_repository,
                done[job.id],
                keys[job.id],
                None,
                f"unchanged: {options.image_repository}:{tag} holds its content key",
            )
    jobs = {
        job.id: plan_job(
            job, route=routes[job.id], key=keys[job.id], args=args[job.id], options=options
        )
        for job in plan.jobs
        if job.id not in decided
    }
    return Prepared(plan, keys, jobs, decided)


def not_built(job: Job, reason: str, key: str | None, options: Options) -> JobResult:
    return JobResult(
        job.id,
        JobStatus.NOT_BUILT,
        job.platform,
        options.image_repository,
        None,
        key,
        None,
        reason,
    )


def dry_run(prep: Prepared, options: Options) -> Outcome:
    """``--dry-run``: the plan and the exact argv of every job; nothing built or written."""
    commands: list[tuple[str, str]] = []
    results: list[JobResult] = []
    for job in prep.plan.jobs:
        if job.id in prep.jobs:
            jp = prep.jobs[job.id]
            commands.append((job.id, shlex.join(jp.argv)))
            results.append(not_built(job, "dry run: would build", jp.key, options))
        else:
            r = prep.decided[job.id]
            commands.append((job.id, f"# {r.status.value}: {r.reason}"))
            results.append(r)
    return Outcome(prep.plan, tuple(results), (), dry_run=True, commands=tuple(commands))


def execute(
    prep: Prepared, options: Options, deps: Deps, record: runrecord.Record
) -> tuple[dict[str, JobResult], bool]:
    """Step 7: build what must be built, live progress, every finished job recorded at once."""
    final = dict(prep.decided)

    def remember(r: JobResult) -> None:
        record.update(
            r.job_id,
            status=r.status.value,
            content_key=r.content_key,
            digest=r.digest,
            seconds=r.seconds,
            reason=r.reason,
        )

    for r in prep.decided.values():
        remember(r)
    with deps.view([j.id for j in prep.plan.jobs]) as view:
        for r in prep.decided.values():
            view.update(r.job_id, _state_of(r), r.reason or "")

        def run_one(job: Job) -> JobResult:
            result = build_job(
                prep.jobs[job.id],
                options=options,
                view=view,
                interrupted=deps.interrupted,
                run=deps.run,
                sleep=deps.sleep,
            )
            remember(result)
            view.update(job.id, _state_of(result), result.reason or result.digest or "")
            log.info(
                "job.finished",
                job=job.id,
                status=result.status.value,
                digest=result.digest,
                seconds=result.seconds,
                reason=result.reason,
            )
            return result

        to_build = [j for j in prep.plan.jobs if j.id in prep.jobs]
        built, interrupted = schedule(
            to_build,
            run_one,
            slots=options.jobs,
            interrupted=deps.interrupted,
            heavy=lambda job: prep.jobs[job.id].heavy,
            stop=lambda r: not options.keep_going and r.status is JobStatus.FAILED,
            on_interrupt=deps.on_interrupt,
        )
        final.update(built)
        failed = next((r.job_id for r in built.values() if r.status is JobStatus.FAILED), None)
        for job in to_build:
            if job.id not in final:
                reason = (
                    INTERRUPTED
                    if interrupted
                    else f"not started: {failed} failed (--keep-going builds the rest)"
                )
                final[job.id] = not_built(job, reason, prep.keys.get(job.id), options)
                remember(final[job.id])
                view.update(job.id, State.NOT_BUILT, reason)
    return final, interrupted


def run(options: Options, deps: Deps | None = None) -> Outcome:
    """All the steps, in order. Raises only for bad input (before anything is built)."""
    deps = deps or Deps()
    if deps.registry is None:
        view = RegistryView(hub_mirror=options.hub_mirror, policy=options.policy)
        for host in dict.fromkeys(h for h in (options.hub_mirror, options.registry) if h):
            view.reachable(host)
        reg: Registry = view
    else:
        reg = deps.registry
    prep = prepare(options, deps, reg)
    if options.dry_run:
        return dry_run(prep, options)
    plan = prep.plan
    record = runrecord.Record(
        runrecord.path_for(options.state, options.image_repository, plan.version), plan.version
    )
    final, interrupted = execute(prep, options, deps, record)
    results = tuple(final[j.id] for j in plan.jobs)
    if options.results:
        resultsmod.write_results(options.results, plan.version, results)
    notes: list[str] = []
    if any(j.is_windows for j in plan.jobs):
        notes.append("Windows images are not smoke-tested here (no Windows engine).")
    if interrupted:
        notes.append("Interrupted: no tag was published; run the same command to continue.")
        return Outcome(plan, results, (), interrupted=True, notes=tuple(notes))
    if options.push_by_digest:
        notes.append(f"--push-by-digest: no tag published; results: {options.results or '-'}")
        return Outcome(plan, results, (), notes=tuple(notes))
    publish = deps.publish or publishmod.publish
    outcomes = publish(
        plan,
        list(results),
        repository=options.image_repository,
        require=options.require,
        keep_going=options.keep_going,
        oci_index=options.oci_index,
    )
    reporter = deps.report or write_reports
    reports = reporter(plan, outcomes, results, options)
    return Outcome(
        plan,
        results,
        tuple(outcomes),
        published=True,
        reports=tuple(reports),
        notes=tuple(notes),
    )


def _state_of(result: JobResult) -> State:
    return {
        JobStatus.BUILT: State.PUSHED,
        JobStatus.SKIPPED: State.SKIPPED,
        JobStatus.FAILED: State.FAILED,
        JobStatus.NOT_BUILT: State.NOT_BUILT,
    }[result.status]


# --------------------------------------------------------------------------- 10. summary, exit


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
    for r in outcome.results:
        secs = progress.format_seconds(r.seconds) if r.seconds is not None else ""
        if outcome.dry_run:
            lines.append(f"  {r.job_id:<{width}}  {r.platform.oci}")
            continue
        label = {"not-built": "not built"}.get(r.status.value, r.status.value)
        what = r.digest if r.status is JobStatus.BUILT else r.reason or ""
        lines.append(f"  {label:<9}  {r.job_id:<{width}}  {secs:>6}  {what}".rstrip())
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
        lines += [f"  {t}" for t in manifest.summary_lines(outcome.tags)]
    elif not outcome.published:
        lines.append("Tags: none published")
    for path in outcome.reports:
        lines.append(f"Report: {path}")
    lines += list(outcome.notes)
    return "\n".join(lines) + "\n"


def exit_code(outcome: Outcome, options: Options) -> int:
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
    return 1 if manifest.failed(outcome.tags) else 0


def _arch_of(plan: Plan, job_id: str) -> str:
    return plan.job(job_id).arch
