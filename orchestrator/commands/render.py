"""``orchestrate render [VERSION…] [--variant V] [--arch A] [--dry-run] [--check]``.

Writes every Dockerfile of the matrix under ``dockerfiles/`` (only the files whose bytes
change). ``--dry-run`` writes nothing and prints the Dockerfiles instead; with ``--variant`` and
``--arch`` it prints exactly the one Dockerfile that job builds. ``--check`` writes nothing and
exits 1 listing the files that differ from the templates, are missing or are not rendered.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

import structlog

from orchestrator import matrix as matrixmod
from orchestrator import plan as planmod
from orchestrator import render as rendermod
from orchestrator import strategy as strategymod
from orchestrator.errors import CheckFailed, UsageError
from orchestrator.platforms import ARCHES, suggest
from orchestrator.workspace import Workspace, find_root

log = structlog.get_logger(__name__)


NAME = "render"
HELP = "render the Dockerfiles from matrix.yml and templates/"
FORMATTER: type[argparse.HelpFormatter] | None = None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("versions", nargs="*", metavar="VERSION", help="release, line or alias")
    p.add_argument("--variant", action="append", default=[], help="only this variant")
    p.add_argument("--arch", action="append", default=[], help="only this architecture")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print, write nothing")
    mode.add_argument("--check", action="store_true", help="exit 1 if dockerfiles/ differs")


def select_jobs(
    m: matrixmod.Matrix, versions: list[str], variants: list[str], arches: list[str], root: Path
) -> list[planmod.Job]:
    """The jobs the selection names (every line when no VERSION is given), each with the
    Dockerfile it builds (its strategy settled as ``plan`` settles it)."""
    if versions:
        lines = [m.line_for(v) for v in versions]
    else:
        lines = [ln for ln in m.lines if not variants or set(variants) & set(ln.variants)]
        problems = [
            f"--variant: unknown variant {v!r}{suggest(v, list(m.variants))}"
            for v in variants
            if v not in m.variants
        ] + [
            f"--arch: unknown architecture {a!r}{suggest(a, list(ARCHES))}"
            for a in arches
            if a not in ARCHES
        ]
        if problems:
            raise UsageError(problems)
    jobs: list[planmod.Job] = []
    for line in dict.fromkeys(lines):
        own = [v for v in variants if v in line.variants] if not versions else variants
        if variants and not own:
            continue
        if arches and not versions:
            line_arches = {a for v in line.variants for a in m.variants[v].arches}
            if not set(arches) & line_arches:
                continue
        plan = strategymod.resolve_plan(
            planmod.expand(m, line.version, arches=arches, variants=own),
            m,
            has_cross_template=lambda variant: rendermod.has_cross_template(root, variant),
        )
        jobs.extend(plan.jobs)
    if not jobs:
        raise UsageError("the selection names no job")
    return jobs


def handle(args: argparse.Namespace) -> int:
    root: Path = find_root(args.root)
    m = matrixmod.load(Workspace(root).matrix)
    versions = tuple(m.line_for(v).version for v in args.versions)
    every = rendermod.render_all(m, root, versions)
    filtered = bool(args.variant or args.arch)
    if filtered:
        selected = select_jobs(m, list(versions), args.variant, args.arch, root)
        wanted = {job.dockerfile for job in selected}
        rendered = {p: t for p, t in every.items() if p in wanted}
    else:
        rendered = every

    if args.dry_run:
        _print(rendered)
        return 0
    if args.check:
        lines = tuple(m.line_for(v).name for v in versions)
        drift = rendermod.check(root, rendered, lines)
        if filtered:
            drift = rendermod.Drift(drift.changed, drift.missing, ())
        if drift:
            raise CheckFailed(
                "dockerfiles/ does not match the templates (run `orchestrate render`):\n  "
                + "\n  ".join(drift.lines())
            )
        log.info("render.check.clean", files=len(rendered))
        return 0
    written = rendermod.write(root, rendered)
    for path in written:
        log.info("render.written", path=str(path))
    removed: list[PurePosixPath] = []
    if not filtered:
        removed = rendermod.prune(root, rendered, tuple(m.line_for(v).name for v in versions))
        for path in removed:
            log.info("render.removed", path=str(path))
    log.info("render.done", files=len(rendered), written=len(written), removed=len(removed))
    return 0


def _print(rendered: dict[PurePosixPath, str]) -> None:
    if len(rendered) == 1:
        sys.stdout.write(next(iter(rendered.values())))
        return
    for path, text in sorted(rendered.items()):
        sys.stdout.write(f"# ==> {path} <==\n{text}\n")
