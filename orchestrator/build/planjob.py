"""The exact commands of one job, decided before any build starts (pure): its buildx argv, its
smoke checks, its log file, and for a cross job its conformance check (the same build's
``python-tests`` and ``build-python`` stages). ``with_build_python`` settles, when a cross job
starts, which image is its ``build-python`` stage."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from orchestrator import buildx, conformance, contentkey, smoke
from orchestrator import matrix as matrixmod
from orchestrator import strategy as strategymod
from orchestrator.build.jobs import BUILD_PYTHON_ARG, DOWNLOAD_ARG, JobPlan
from orchestrator.build.options import BuildOptions
from orchestrator.dockerfile import BUILD_PLATFORM
from orchestrator.plan import Job
from orchestrator.platforms import Platform
from orchestrator.results import JobResult


def network_for(build_args: Sequence[tuple[str, str]]) -> str | None:
    """``host`` when the build downloads from a loopback mirror (only the host reaches it)."""
    base = dict(build_args).get(DOWNLOAD_ARG, "")
    host = re.sub(r"^[a-z]+://", "", base).split("/")[0].split(":")[0]
    return (
        "host" if host in ("localhost", "127.0.0.1", "[::1]") or host.startswith("127.") else None
    )


def plan_job(
    job: Job,
    *,
    route: buildx.Route,
    key: str,
    args: tuple[tuple[str, str], ...],
    options: BuildOptions,
    tests: tuple[str, ...] = conformance.DEFAULT_TESTS,
) -> JobPlan:
    """The exact commands of one job (pure): the buildx argv, the smoke checks, the log file,
    and for a cross job its conformance check (running ``tests``)."""
    ref = f"{options.image_repository}:{contentkey.key_tag(key, job.arch)}"
    argv = buildx.build_argv(
        route=route,
        platform=job.platform,
        dockerfile=options.root / job.dockerfile,
        context=options.root / job.context,
        tag=ref,
        build_args=args,
        labels=((contentkey.KEY_LABEL, key), (strategymod.LABEL, job.strategy)),
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
    check = None
    if job.strategy == matrixmod.CROSS and smoke.testable(job.platform):
        check = conformance_of(job, route=route, ref=ref, args=args, options=options, tests=tests)
    return JobPlan(job, route, key, ref, tuple(argv), checks, log_file, args, conformance=check)


def conformance_of(
    job: Job,
    *,
    route: buildx.Route,
    ref: str,
    args: tuple[tuple[str, str], ...],
    options: BuildOptions,
    tests: tuple[str, ...],
) -> conformance.Conformance:
    """A cross job's conformance check: the same build (same arguments: every stage from the
    build cache) exports the cross stage's test suite (``python-tests``) and loads the native
    image of the build platform (``build-python``, built for the build platform: its files and
    its image config are that platform's, and its layers are the native job's) to compare with."""
    tests_dir = options.logs / f"{job.id}.tests"
    native = f"{ref}-build-python"

    def stage(target: str, platform: Platform, **kw: object) -> tuple[str, ...]:
        return tuple(
            buildx.build_argv(
                route=route,
                platform=platform,
                dockerfile=options.root / job.dockerfile,
                context=options.root / job.context,
                build_args=args,
                network=network_for(args),
                target=target,
                **kw,  # type: ignore[arg-type]
            )
        )

    return conformance.Conformance(
        route=route,
        image=ref,
        platform=job.platform,
        arch=job.arch,
        version=job.version,
        native_image=native,
        native_platform=BUILD_PLATFORM,
        tests_dir=tests_dir,
        export_argv=stage(
            "python-tests", job.platform, load=False, output=f"type=local,dest={tests_dir}"
        ),
        native_argv=stage("build-python", BUILD_PLATFORM, tag=native),
        tests=tests,
    )


def with_build_python(
    jp: JobPlan, finished: Mapping[str, JobResult], options: BuildOptions
) -> JobPlan:
    """The cross job ``jp`` as it starts: when its native job (``build_python_from``) has an
    image in the registry (built and pushed by this run, or skipped as unchanged: ``finished``),
    its build, conformance export and native image take that image, by digest, as the
    ``build-python`` stage (``--build-arg BUILD_PYTHON=<repository>@<digest>``). The stage
    then needs nothing from the build cache, which the engine may have collected since. The
    content key is unchanged: the image is what the Dockerfile's own stage builds. Without such
    an image, ``jp`` as planned (the stage is built from the Dockerfile, from the cache)."""
    native = finished.get(jp.build_python_from or "")
    if native is None or native.digest is None:
        return jp
    image = f"{native.repository}@{native.digest}"
    args = tuple(sorted({**dict(jp.build_args), BUILD_PYTHON_ARG: image}.items()))
    tests = jp.conformance.tests if jp.conformance else conformance.DEFAULT_TESTS
    again = plan_job(jp.job, route=jp.route, key=jp.key, args=args, options=options, tests=tests)
    return replace(again, after=jp.after, build_python_from=jp.build_python_from)
