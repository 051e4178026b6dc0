"""Steps 1-6 of a build: everything decided before the first job builds.

1. ``load_matrix`` and ``make_plan`` (as ``orchestrate plan``), each job's strategy settled
   (``orchestrator.strategy``: ``--strategy`` or the matrix, the routes, the cross templates);
   a strategy that cannot be done stops the build here, before anything runs;
2. ``render_step``: the Dockerfiles of the plan's jobs, written where they changed; each job's
   build arguments (``build_args_for``);
3. ``resolve_routes``: each job's builder (``Job.builder`` or ``--builder ARCH=NAME``); Windows
   jobs without a configured builder are NOT_BUILT "not built: no Windows builder";
4. ``preflight``: every builder answers and can build its jobs' platforms; every base image of
   the job's Dockerfile resolves, for the platform it is pulled for, to a manifest digest in the
   registry (Docker Hub names go to the farm's Docker Hub mirror); a job that fails here is
   NOT_BUILT with the reason;
5. ``compute_keys``: the content key of every job (``orchestrator.contentkey``);
6. ``find_done``: one HEAD per job for ``<repository>:build-<key12>-<arch>``; present → SKIPPED;
   every other job gets its exact commands (``planjob.plan_job``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import structlog

from orchestrator import (
    buildx,
    contentkey,
    dockerfile,
    platforms,
    policy,
    render,
)
from orchestrator import matrix as matrixmod
from orchestrator import plan as planmod
from orchestrator import strategy as strategymod
from orchestrator.build.connections import Connections, RegistryLookups
from orchestrator.build.jobs import (
    BUILD_PYTHON_ARG,
    DOWNLOAD_ARG,
    PROFILE_ARG,
    JobPlan,
    cross_after,
    not_built,
)
from orchestrator.build.options import BuildOptions
from orchestrator.build.planjob import plan_job
from orchestrator.dockerfile import BUILD_PLATFORM
from orchestrator.errors import ConfigError, OrchestratorError, first_line
from orchestrator.matrix import Matrix
from orchestrator.plan import Job, Plan
from orchestrator.platforms import Platform
from orchestrator.results import JobResult, JobStatus
from orchestrator.workspace import Workspace

log = structlog.get_logger(__name__)

NO_WINDOWS_BUILDER = "not built: no Windows builder"


@dataclass(frozen=True)
class Prepared:
    """The outcome of steps 1-6: the plan, each job's commands, and what needs no build."""

    plan: Plan
    keys: dict[str, str]
    jobs: dict[str, JobPlan]  # jobs to build, by id
    decided: dict[str, JobResult]  # jobs skipped or not buildable, by id


def check_input(options: BuildOptions) -> tuple[Matrix, Plan]:
    """Step 1, which reads only local files: the matrix and the plan (a bad ``--require`` too).

    ``release.build_release`` runs it before anything reaches the network, so bad input exits 2
    before a registry or the farm is asked anything."""
    matrix = load_matrix(options.root)
    plan = make_plan(matrix, options)
    if options.require:  # a bad --require is bad input: say so before anything runs
        policy.decide(plan, [], require=options.require, keep_going=options.keep_going)
    return matrix, plan


def prepare(
    options: BuildOptions,
    connections: Connections,
    reg: RegistryLookups,
    *,
    checked: tuple[Matrix, Plan] | None = None,
) -> Prepared:
    """Steps 1-6: matrix, plan, render, routes, preflight, content keys, what is done already
    (``checked``: step 1 done already, by ``check_input``)."""
    matrix, plan = checked or check_input(options)
    texts, _ = render_step(matrix, plan, options.root, write=not options.dry_run)
    args = {job.id: build_args_for(job, texts[job.id], options) for job in plan.jobs}
    names = [options.builders.get(j.arch, j.builder) for j in plan.jobs]
    lookup = any(n and ":" not in n and n != "default" for n in names)
    contexts = connections.list_contexts() if lookup else ()
    builders = connections.list_builders() if lookup else ()
    routes, unroutable = resolve_routes(
        plan, options.builders, contexts=contexts, builders=builders
    )
    pre = preflight(
        plan, routes, platforms_of=connections.builder_platforms, registry=reg, texts=texts
    )
    keys = compute_keys(plan, texts, pre.parents, args, options.root)
    done = find_done(plan, keys, reg, options.image_repository)
    decided: dict[str, JobResult] = {}
    for job in plan.jobs:
        why = unroutable.get(job.id) or pre.blocked.get(job.id)
        if why:
            decided[job.id] = not_built(job, why, keys.get(job.id), options.image_repository)
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
                strategy=job.strategy,
            )
    after = cross_after(plan, BUILD_PLATFORM)
    jobs = {
        job.id: replace(
            plan_job(
                job,
                route=routes[job.id],
                key=keys[job.id],
                args=args[job.id],
                options=options,
                tests=matrix.conformance_tests,
            ),
            after=after.get(job.id, ()),
            build_python_from=(
                after[job.id][0]
                if job.id in after and BUILD_PYTHON_ARG in dockerfile.declared_args(texts[job.id])
                else None
            ),
        )
        for job in plan.jobs
        if job.id not in decided
    }
    return Prepared(plan, keys, jobs, decided)


# --------------------------------------------------------------------------- 1. matrix, plan


def load_matrix(root: Path) -> Matrix:
    return matrixmod.load(Workspace(root).matrix)


def make_plan(matrix: Matrix, options: BuildOptions) -> Plan:
    """The plan of ``options``, every job's strategy settled (ConfigError if one cannot be)."""
    plan = planmod.expand(
        matrix,
        options.version,
        arches=options.arches,
        variants=options.variants,
        strategy=options.strategy,
    )
    return strategymod.resolve_plan(
        plan,
        matrix,
        builders=options.builders,
        has_cross_template=lambda variant: render.has_cross_template(options.root, variant),
    )


# --------------------------------------------------------------------------- 2. render, args


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


def build_args_for(job: Job, text: str, options: BuildOptions) -> tuple[tuple[str, str], ...]:
    """The job's own build args, plus the download base and build profile where its Dockerfile
    (``text``) takes them (the 3.13 templates do; the 2019 ones must stay byte-exact and do
    not)."""
    args = dict(job.build_args)
    declared = dockerfile.declared_args(text)
    if DOWNLOAD_ARG in declared and options.download_base:
        args[DOWNLOAD_ARG] = options.download_base
    if PROFILE_ARG in declared and options.profile:
        args[PROFILE_ARG] = options.profile
    return tuple(sorted(args.items()))


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


@dataclass(frozen=True)
class Preflight:
    parents: dict[str, str]  # job id → parent manifest digest for its platform
    blocked: dict[str, str]  # job id → why it cannot be built


def preflight(
    plan: Plan,
    routes: Mapping[str, buildx.Route],
    *,
    platforms_of: Callable[[buildx.Route], Sequence[str]],
    registry: RegistryLookups,
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
            answers[route] = f"{route.describe()} does not answer: {first_line(exc)}"
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
        for image, platform in dockerfile.base_images(text, target=job.platform, parent=job.parent):
            key = (image, platform)
            if key not in resolved:
                try:
                    resolved[key] = registry.parent_digest(image, platform)
                except OrchestratorError as exc:
                    resolved[key] = "!" + first_line(exc)
            if resolved[key].startswith("!"):
                blocked[job.id] = f"parent {image} for {platform.oci}: {resolved[key][1:]}"
                break
            lines.append(f"{image}@{resolved[key]}")
        else:
            parents[job.id] = "\n".join(lines) or "scratch"
    return Preflight(parents, blocked)


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
            # A cross build's Dockerfile folder (``<variant>/cross``) sits inside the context of
            # the variant's other jobs; it is not theirs: editing a cross template must not
            # change (and rebuild) the native and emulated images.
            contexts[job.context] = contentkey.context_files(
                root / job.context, skip=(matrixmod.CROSS,)
            )
        keys[job.id] = contentkey.content_key(
            dockerfile=texts[job.id].encode("utf-8"),
            context=contexts[job.context],
            build_args=args[job.id],
            platform=job.platform,
            parent_digest=parents[job.id],
            strategy=job.strategy,
        )
    return keys


def find_done(
    plan: Plan, keys: Mapping[str, str], registry: RegistryLookups, repository: str
) -> dict[str, str]:
    """Jobs whose image the registry already holds under its key tag → that image's digest."""
    done: dict[str, str] = {}
    for job in plan.jobs:
        if job.id in keys:
            digest = registry.tag_digest(repository, contentkey.key_tag(keys[job.id], job.arch))
            if digest:
                done[job.id] = digest
    return done
