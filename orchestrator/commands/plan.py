"""``orchestrate plan VERSION [--arch A…] [--variant V…] [--strategy S] [--format …]``.

Prints the build jobs of a release (stable ids, platforms, how each is built, Dockerfiles, build
args, tags), the combinations left out with the reason, and every manifest list. Each job's
strategy is settled as ``build`` settles it (``orchestrator.strategy``, with the matrix's
builders; ``--strategy`` replaces what the matrix asks for). ``--format json`` is one object
(``version``, ``line``, ``jobs``, ``tags``, ``excluded``); ``--format github`` is a GitHub Actions
``strategy.matrix`` with one entry per architecture.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from orchestrator import matrix as matrixmod
from orchestrator import plan as planmod
from orchestrator import render as rendermod
from orchestrator import strategy as strategymod
from orchestrator.workspace import Workspace, find_root

NAME = "plan"
HELP = "expand the matrix into build jobs, tags and manifest lists"
FORMATTER: type[argparse.HelpFormatter] | None = None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("version", metavar="VERSION", help="release (3.8.0b3), line (3.8-rc) or alias")
    p.add_argument("--arch", action="append", default=[], help="only this architecture")
    p.add_argument("--variant", action="append", default=[], help="only this variant")
    p.add_argument(
        "--strategy",
        choices=matrixmod.STRATEGIES,
        default=None,
        help="build every job this way (default: what matrix.yml says; auto when it says nothing)",
    )
    p.add_argument("--format", choices=("table", "json", "github"), default="table")


def job_json(job: planmod.Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "version": job.version,
        "line": job.line,
        "variant": job.variant,
        "arch": job.arch,
        "platform": job.platform.to_json(),
        "family": job.family,
        "parent": job.parent,
        "dockerfile": str(job.dockerfile),
        "context": str(job.context),
        "build_args": dict(job.build_args),
        "tags": list(job.tags),
        "shared_tags": list(job.shared_tags),
        "builder": job.builder,
        "pgo": job.pgo,
        "profile_task": job.profile_task,
        "emulated": job.emulated,
        "strategy": job.strategy,
    }


def plan_json(plan: planmod.Plan) -> dict[str, Any]:
    return {
        "version": plan.version,
        "line": plan.line,
        "jobs": [job_json(j) for j in plan.jobs],
        "tags": {tag: list(ids) for tag, ids in plan.manifests},
        "excluded": [
            {"id": e.id, "variant": e.variant, "arch": e.arch, "reason": e.reason}
            for e in plan.excluded
        ],
    }


def plan_github(plan: planmod.Plan) -> dict[str, Any]:
    """``strategy.matrix``: one entry per architecture, holding that architecture's jobs."""
    by_arch: dict[str, list[planmod.Job]] = {}
    for job in plan.jobs:
        by_arch.setdefault(job.arch, []).append(job)
    return {
        "include": [
            {
                "arch": arch,
                "platform": jobs[0].platform.oci,
                "emulated": jobs[0].emulated,
                "jobs": " ".join(j.id for j in jobs),
            }
            for arch, jobs in by_arch.items()
        ]
    }


def plan_table(plan: planmod.Plan) -> str:
    out = [
        f"plan for {plan.version} (line {plan.line}): {len(plan.jobs)} jobs, "
        f"{len(plan.excluded)} excluded, {len(plan.manifests)} tags",
        "",
    ]
    rows = [("JOB", "PLATFORM", "STRATEGY", "DOCKERFILE", "TAGS")] + [
        (
            j.id,
            j.platform.oci + (f" {j.platform.os_version}" if j.platform.os_version else ""),
            j.strategy,
            str(j.dockerfile),
            ", ".join(j.tags) + (f" (shared: {', '.join(j.shared_tags)})" if j.shared_tags else ""),
        )
        for j in plan.jobs
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4])
    if plan.excluded:
        out += ["", "excluded:"]
        width = max(len(e.id) for e in plan.excluded)
        out += [f"  {e.id.ljust(width)}  {e.reason}" for e in plan.excluded]
    out += ["", "manifest lists:"]
    width = max(len(t) for t, _ in plan.manifests)
    out += [f"  {t.ljust(width)}  {len(ids)}: {' '.join(ids)}" for t, ids in plan.manifests]
    return "\n".join(out) + "\n"


def handle(args: argparse.Namespace) -> int:
    root = find_root(args.root)
    m = matrixmod.load(Workspace(root).matrix)
    plan = strategymod.resolve_plan(
        planmod.expand(
            m, args.version, arches=args.arch, variants=args.variant, strategy=args.strategy
        ),
        m,
        has_cross_template=lambda variant: rendermod.has_cross_template(root, variant),
    )
    if args.format == "json":
        sys.stdout.write(json.dumps(plan_json(plan), indent=2) + "\n")
    elif args.format == "github":
        sys.stdout.write(json.dumps(plan_github(plan), separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(plan_table(plan))
    return 0
