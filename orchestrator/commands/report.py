"""``orchestrate report REF… [--registry HOST] [--format md|json] [--style 2019|current]
[--out DIR]`` and ``orchestrate report --diff OLD.json NEW.json``.

Reads each tag from its registry (HTTP API only) and prints its repo-info style report:
markdown (``--format md``, the default) or the structured JSON (``--format json``). With
``--out DIR`` both files are written instead, as ``DIR/<repository>/<tag>.md`` and ``.json``
(the layout ``build`` uses). ``--registry HOST`` reads ``python:3.8-rc`` from HOST instead of
Docker Hub (as ``library/python``). ``--diff`` compares two JSON reports of one tag: platforms
added or missing, size change per platform, layers changed. A missing tag is reported as
"does not exist (yet?)", not as an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from orchestrator import registry, report
from orchestrator.errors import UsageError
from orchestrator.files import unwritable

NAME = "report"
HELP = "write the repo-info style report of published tags (or diff two)"
FORMATTER: type[argparse.HelpFormatter] | None = None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("refs", nargs="*", metavar="REF", help="image reference, e.g. python:3.8-rc")
    p.add_argument(
        "--registry", metavar="HOST", help="read from this registry (e.g. localhost:5000)"
    )
    p.add_argument("--format", choices=("md", "json"), default="md", help="what to print")
    p.add_argument(
        "--style",
        choices=report.STYLES,
        default=report.DEFAULT_STYLE,
        help="report grammar: current (default; reads BuildKit history) or 2019 (the generator "
        "of that year, byte for byte)",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="write DIR/<repository>/<tag>.md/.json")
    p.add_argument("--ca-file", type=Path, metavar="PEM", help="CA bundle for an HTTPS registry")
    p.add_argument(
        "--diff", nargs=2, type=Path, metavar=("OLD", "NEW"), help="compare two JSON reports"
    )


def check_paths(refs: list[registry.Reference], out: Path | None, ca_file: Path | None) -> None:
    """Before any registry is asked: the CA file can be read, and with ``--out`` every report
    file can be written (``files.unwritable``)."""
    problems: list[str] = []
    if ca_file is not None and not ca_file.is_file():
        problems.append(f"--ca-file {ca_file}: no such file")
    if out is not None:
        for ref in refs:
            for path in report.report_paths(out, ref):
                if problem := unwritable(path):
                    problems.append(f"--out {out}: cannot be written: {problem}")
    if problems:
        raise UsageError(list(dict.fromkeys(problems)))


def handle(args: argparse.Namespace) -> int:
    if args.diff:
        if args.refs:
            raise UsageError("report: --diff takes two JSON files and no REF")
        old, new = (report.load_json(path) for path in args.diff)
        sys.stdout.write(report.diff(old, new))
        return 0
    if not args.refs:
        raise UsageError("report: name at least one REF (e.g. python:3.8-rc), or use --diff")
    refs = [registry.parse_reference(text, args.registry) for text in args.refs]
    check_paths(refs, args.out, args.ca_file)
    reports = report.collect_many(
        refs, client_for=lambda host: registry.Client(host, ca_file=args.ca_file)
    )
    for ref, rep in zip(refs, reports, strict=True):
        if args.out:
            md, js = report.write(rep, ref, args.out, style=args.style)
            sys.stdout.write(f"{md}\n{js}\n")
        elif args.format == "json":
            sys.stdout.write(json.dumps(report.to_json(rep, ref), indent=2) + "\n")
        else:
            sys.stdout.write(report.render(rep, args.style))
    return 0
