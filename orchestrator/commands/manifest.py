"""``orchestrate manifest VERSION --results 'out/*.json' [--registry HOST] [--repository NAME]
[--require ARCH…] [--keep-going] [--oci] [--variant V…]``.

The second half of the CI fan-out: every per-architecture job ran ``orchestrate build VERSION
--arch A --push-by-digest --results out/A.json``; this command reads all those results files,
applies the publish policy and pushes a manifest list (or, with ``--oci``, an OCI index) for
every tag of the plan whose platforms are all available (or, with ``--keep-going``, whose
``--require``d architectures are). Held tags keep their previous list. Prints one line per tag
and exits 1 when a required tag was held, 2 on bad results files or arguments.
"""

from __future__ import annotations

import argparse
import sys

from orchestrator import matrix as matrixmod
from orchestrator import plan as planmod
from orchestrator import policy, publish
from orchestrator.errors import ConfigError, UsageError, printable
from orchestrator.registry import host_problem, repository_problem
from orchestrator.results import JobResult, read_results
from orchestrator.workspace import Workspace, find_root

NAME = "manifest"
HELP = "assemble and push manifest lists from the results of per-architecture builds"
FORMATTER: type[argparse.HelpFormatter] | None = None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("version", metavar="VERSION", help="release (3.13.5), line or alias")
    p.add_argument(
        "--results",
        action="append",
        required=True,
        metavar="GLOB",
        help="results files written by `build --results` (a glob, quoted; may repeat)",
    )
    p.add_argument(
        "--registry", metavar="HOST", help="registry host (default: where the results say)"
    )
    p.add_argument(
        "--repository", metavar="NAME", help="repository name (default: where the results say)"
    )
    p.add_argument(
        "--variant", action="append", default=[], help="only this variant (as the builds had)"
    )
    p.add_argument(
        "--require",
        action="append",
        nargs="+",
        default=[],
        metavar="ARCH",
        help="with --keep-going: publish a tag when these architectures are available",
    )
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="publish lists without failed platforms, as long as every --require'd one is there",
    )
    p.add_argument(
        "--oci",
        "--oci-index",
        dest="oci",
        action="store_true",
        help="push OCI image indexes, not Docker manifest lists",
    )


def target_repository(results: list[JobResult], registry_host: str | None, name: str | None) -> str:
    """The full repository name the lists go to (``localhost:5000/python``)."""
    # Failed jobs still say where they would have pushed: enough to name the target.
    pushed = sorted({r.repository for r in results if r.available}) or sorted(
        {r.repository for r in results}
    )
    if len(pushed) > 1:
        raise ConfigError(
            "results name more than one repository: " + ", ".join(pushed) + " (a manifest list "
            "can only name manifests of its own repository)"
        )
    if registry_host and name:
        return f"{registry_host}/{name}"
    if not pushed:
        raise UsageError("the results name no repository; give --registry HOST --repository NAME")
    default = pushed[0]
    host, _, repo = default.partition("/")
    if "." not in host and ":" not in host and host != "localhost":
        host, repo = "", default  # a Docker Hub name like "python"
    host = registry_host or host
    repo = name or repo
    return f"{host}/{repo}" if host else repo


def check_target(registry_host: str | None, name: str | None) -> None:
    """``--registry`` and ``--repository``, checked before anything else is read."""
    problems = []
    if registry_host is not None and (problem := host_problem(registry_host)):
        problems.append(f"--registry {printable(registry_host)}: {problem}")
    if name is not None and (problem := repository_problem(name)):
        problems.append(f"--repository {printable(name)}: {problem}")
    if problems:
        raise UsageError(problems)


def handle(args: argparse.Namespace) -> int:
    check_target(args.registry, args.repository)
    root = find_root(args.root)
    m = matrixmod.load(Workspace(root).matrix)
    plan = planmod.expand(m, args.version, variants=args.variant)
    require = [a for group in args.require for a in group]
    if require and not args.keep_going:
        raise UsageError(
            "--require only applies with --keep-going (without it every platform is required)"
        )
    version, results = read_results(args.results)
    policy.check_results(plan, version, results)
    repository = target_repository(results, args.registry, args.repository)
    outcomes = publish.publish(
        plan,
        results,
        repository=repository,
        require=require,
        keep_going=args.keep_going,
        oci_index=args.oci,
    )
    published = sum(o.published for o in outcomes)
    sys.stdout.write(
        f"manifest lists for {plan.version} in {repository}: {published} of "
        f"{len(outcomes)} tags published\n"
    )
    for line in policy.summary_lines(outcomes):
        sys.stdout.write(f"  {line}\n")
    return 1 if policy.failed(outcomes) else 0
