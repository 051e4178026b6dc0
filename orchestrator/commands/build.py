"""``orchestrate build VERSION``: build, smoke-test and push every platform, publish the lists.

Plans and renders like ``plan``/``render``, then builds each job with ``docker buildx build``
on its builder, smoke-tests the image on its platform, pushes it under its content-key tag and
publishes the manifest lists the policy allows. Jobs whose content key the registry already
holds are skipped; an interrupted run continues where it stopped. See README "Build".

Exit codes: 0 everything required was published (or, with ``--push-by-digest``, built and
pushed); 1 a job failed or a required tag was held back; 2 bad input; 3 a tool or service
failed before any job ran; 130 interrupted (Ctrl-C or SIGTERM), nothing published.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import structlog

from orchestrator import farm, proc
from orchestrator.build import release, summary
from orchestrator.build.options import PYTHON_ORG, BuildOptions
from orchestrator.build.schedule import default_jobs
from orchestrator.buildx import parse_builder_overrides
from orchestrator.errors import ConfigError, UsageError
from orchestrator.platforms import ARCHES
from orchestrator.workspace import find_root

log = structlog.get_logger(__name__)

PROFILES = ("quick", "full")


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "build",
        help="build, smoke-test and push every platform, then publish the manifest lists",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("version", metavar="VERSION", help="release (3.13.5), line (3.13) or alias")
    p.add_argument("--variant", action="append", default=[], help="only this variant (repeat)")
    p.add_argument("--arch", action="append", default=[], help="only this architecture (repeat)")
    p.add_argument("--registry", default="localhost:5000", help="push here (default: %(default)s)")
    p.add_argument("--repository", default="python", help="repository (default: %(default)s)")
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=default_jobs(),
        help="build slots; emulated and PGO jobs take two (default: cores, %(default)s)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan and every buildx argv")
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="build every job even after a failure; with --require, publish lists without "
        "the platforms that failed when all required ones succeeded",
    )
    p.add_argument(
        "--require", action="append", default=[], metavar="ARCH", help="see --keep-going"
    )
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default="quick",
        help="PYTHON_BUILD_PROFILE of the 3.13 templates: quick (no PGO/LTO, the farm demo's "
        "default) or full (--enable-optimizations --with-lto, the upstream build)",
    )
    p.add_argument(
        "--download-base",
        default=None,
        metavar="URL",
        help="PYTHON_DOWNLOAD_BASE (default: the farm's source mirror when it is up, "
        "else https://www.python.org/ftp/python)",
    )
    p.add_argument(
        "--builder",
        action="append",
        default=[],
        metavar="ARCH=NAME",
        help="build ARCH on this buildx builder or docker context (context:NAME / builder:NAME)",
    )
    p.add_argument(
        "--push-by-digest",
        action="store_true",
        help="push the per-platform images only (no tags); with --results, for `manifest`",
    )
    p.add_argument("--results", type=Path, default=None, metavar="FILE", help="write results here")
    p.add_argument("--oci-index", action="store_true", help="publish OCI indexes, not Docker lists")
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="build every step again (buildx --no-cache); jobs whose key the registry holds "
        "are still skipped",
    )
    p.add_argument(
        "--hub-mirror",
        default="localhost:5000",
        metavar="HOST",
        help="where Docker Hub parent images are looked up (the engine's registry mirror; "
        "default: %(default)s, 'none' for Docker Hub itself)",
    )
    p.set_defaults(func=handle)


def options_from(args: argparse.Namespace) -> BuildOptions:
    problems: list[str] = []
    if args.jobs < 1:
        problems.append(f"--jobs {args.jobs}: must be at least 1")
    if args.results and not args.push_by_digest:
        problems.append("--results: only with --push-by-digest (a CI fan-out job)")
    try:
        overrides = parse_builder_overrides(args.builder, list(ARCHES))
    except ConfigError as exc:
        problems += exc.problems
        overrides = {}
    if problems:
        raise UsageError(problems)
    root = find_root(args.root)
    download_base = args.download_base or farm.source_mirror() or PYTHON_ORG
    return BuildOptions(
        version=args.version,
        root=root,
        variants=tuple(args.variant),
        arches=tuple(args.arch),
        registry=args.registry,
        repository=args.repository,
        jobs=args.jobs,
        dry_run=args.dry_run,
        keep_going=args.keep_going,
        require=tuple(args.require),
        profile=args.profile,
        download_base=download_base,
        push_by_digest=args.push_by_digest,
        results=args.results,
        builders=overrides,
        hub_mirror=None if args.hub_mirror == "none" else args.hub_mirror,
        oci_index=args.oci_index,
        no_cache=args.no_cache,
    )


def handle(args: argparse.Namespace) -> int:
    options = options_from(args)
    log.info(
        "build.start",
        version=options.version,
        registry=options.image_repository,
        jobs=options.jobs,
        profile=options.profile,
        download_base=options.download_base,
    )
    with proc.sigterm_interrupts():
        outcome = release.build_release(options)
    sys.stdout.write(summary.summary(outcome))
    sys.stdout.flush()
    return summary.exit_code(outcome, options)
