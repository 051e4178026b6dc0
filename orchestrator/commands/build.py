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
import dataclasses
import sys
from typing import Any

from orchestrator import proc
from orchestrator.build import options, release, summary
from orchestrator.build.options import BuildOptions
from orchestrator.workspace import find_root

NAME = "build"
HELP = "build, smoke-test and push every platform, then publish the manifest lists"
FORMATTER: type[argparse.HelpFormatter] | None = argparse.RawDescriptionHelpFormatter


def add_arguments(p: argparse.ArgumentParser) -> None:
    for f, how in options.flagged():
        p.add_argument(*how.names, **_argparse_settings(f, how))


def _argparse_settings(f: dataclasses.Field[Any], how: options.Flag) -> dict[str, Any]:
    """``add_argument``'s keywords for a flag; its default is the field's."""
    settings: dict[str, Any] = {"help": how.help}
    if how.switch:
        settings["action"] = "store_true"
    elif how.repeat:
        settings.update(action="append", default=[])
    elif f.default is not dataclasses.MISSING:
        settings["default"] = f.default
    elif f.default_factory is not dataclasses.MISSING:
        settings["default"] = f.default_factory()
    if how.type is not None:
        settings["type"] = how.type
    if how.metavar is not None:
        settings["metavar"] = how.metavar
    if how.choices is not None:
        settings["choices"] = how.choices
    return settings


def options_from(args: argparse.Namespace) -> BuildOptions:
    """The options of the parsed flags (UsageError naming every bad flag), then the root."""
    values = options.from_flags({f.name: getattr(args, how.dest) for f, how in options.flagged()})
    return BuildOptions(root=find_root(args.root), **values)


def handle(args: argparse.Namespace) -> int:
    build_options = options_from(args)
    with proc.sigterm_interrupts():
        outcome = release.build_release(build_options)
    sys.stdout.write(summary.summary(outcome))
    sys.stdout.flush()
    return summary.exit_code(outcome, build_options)
