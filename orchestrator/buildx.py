"""The buildx edge: argument lists for ``docker buildx build`` / ``docker push``, and their runner.

The argv builders and output parsers are pure (tested over their output and over recorded
docker output in ``tests/data/build/``); the runner functions call ``proc.run_command`` with
one log file per job. Flags follow python-on-whales' ``buildx.build`` spelling.

How a job's image travels (decided by hand against Docker Engine 20.10 with its own BuildKit,
the default ``docker`` buildx driver, and ``localhost:5000``, see docs/build-times.md):

1. ``docker [--context C] buildx build [--builder B] --platform P --load --tag REF …`` builds
   into the engine's image store under ``REF = <repository>:build-<key12>-<arch>``;
2. the smoke test runs that local image (``docker run --platform P``; qemu where needed);
3. ``docker [--context C] push REF`` pushes it; the pushed manifest digest comes from the
   push output (``REF: digest: sha256:… size: N``).

Pushing in its own step is what lets a failed push be retried without rebuilding, and lets a
failed smoke test keep its image out of the registry (the per-key tag is what "already built"
means on the next run, so it must never name an image that did not pass). The engine's own
BuildKit (``docker`` driver) cannot ``push-by-digest``: its image exporter needs a name, and
with ``push=true`` it pushes that name.

Routing: a job goes to the builder its architecture names (``Job.builder`` or ``--builder
ARCH=NAME``). A name is a docker context (``docker --context NAME buildx build``; e.g. a second
engine, a remote Windows engine) or a buildx builder (``docker buildx build --builder NAME``).
``context:NAME`` and ``builder:NAME`` say which explicitly; a bare name is looked up among the
contexts first, then the builders.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from orchestrator import proc
from orchestrator.errors import CommandFailed, ConfigError
from orchestrator.platforms import Platform, suggest

log = structlog.get_logger(__name__)


# --------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    """Where a job builds and runs: a docker context, a buildx builder, or the defaults."""

    context: str | None = None
    builder: str | None = None

    @property
    def is_default(self) -> bool:
        return self.context is None and self.builder is None

    def describe(self) -> str:
        if self.context:
            return f"context {self.context}"
        if self.builder:
            return f"builder {self.builder}"
        return "default builder"


DEFAULT_ROUTE = Route()


def parse_route(
    spec: str | None, *, contexts: Sequence[str] = (), builders: Sequence[str] = ()
) -> Route:
    """``None`` → default; ``context:X`` / ``builder:X`` explicit; a bare name looked up."""
    if not spec or spec == "default":
        return DEFAULT_ROUTE
    kind, sep, name = spec.partition(":")
    if sep and kind in ("context", "builder"):
        if not name:
            raise ConfigError(f"builder {spec!r}: empty name after {kind}:")
        return Route(context=name) if kind == "context" else Route(builder=name)
    if spec in contexts:
        return Route(context=spec)
    if spec in builders:
        return Route(builder=spec)
    known = [*contexts, *builders]
    raise ConfigError(
        f"builder {spec!r}: no docker context or buildx builder of that name"
        f"{suggest(spec, known)} (known: {', '.join(known) or 'none'})"
    )


# A builder or context name as ``--builder ARCH=NAME`` gives it (checked with fullmatch).
BUILDER_RE = re.compile(r"(?:(?:context|builder):)?[A-Za-z0-9][A-Za-z0-9._-]*")


def parse_builder_overrides(values: Sequence[str], arches: Sequence[str]) -> dict[str, str]:
    """``--builder ARCH=NAME`` flags as a mapping; every problem reported at once."""
    out: dict[str, str] = {}
    problems: list[str] = []
    for value in values:
        arch, sep, name = value.partition("=")
        if not sep or not arch or not name:
            problems.append(f"--builder {value!r}: expected ARCH=NAME")
        elif arch not in arches:
            problems.append(
                f"--builder {value!r}: unknown architecture {arch!r}{suggest(arch, list(arches))}"
            )
        elif not BUILDER_RE.fullmatch(name):
            problems.append(
                f"--builder {value!r}: {name!r} is not a builder or context name "
                "(letters, digits, '.', '_' and '-', after 'context:' or 'builder:' if given)"
            )
        else:
            out[arch] = name
    if problems:
        raise ConfigError(problems)
    return out


def docker(route: Route) -> list[str]:
    """``docker`` or ``docker --context C``: the start of every command for this route."""
    return ["docker", "--context", route.context] if route.context else ["docker"]


# --------------------------------------------------------------------------- argv builders


def build_argv(
    *,
    route: Route,
    platform: Platform,
    dockerfile: Path,
    context: Path,
    tag: str | None = None,
    build_args: Sequence[tuple[str, str]] = (),
    labels: Sequence[tuple[str, str]] = (),
    load: bool = True,
    network: str | None = None,
    provenance: bool = False,
    progress: str = "plain",
    pull: bool = False,
    no_cache: bool = False,
    target: str | None = None,
    output: str | None = None,
) -> list[str]:
    """``docker [--context C] buildx build [--builder B] … CONTEXT``.

    ``load`` (the default) puts the image into the route's engine under ``tag``; ``target``
    builds that stage instead of the last; ``output`` is an ``--output`` (``type=local,dest=…``).
    ``provenance=False`` keeps attestation manifests out of the per-platform image (the engine's
    BuildKit cannot make them anyway, and a list entry must be a plain image manifest).
    """
    argv = [*docker(route), "buildx", "build"]
    if route.builder:
        argv += ["--builder", route.builder]
    argv += ["--platform", platform.oci, "--file", os.fspath(dockerfile)]
    argv += ["--progress", progress]
    for name, value in build_args:
        argv += ["--build-arg", f"{name}={value}"]
    for name, value in labels:
        argv += ["--label", f"{name}={value}"]
    if network:
        argv += ["--network", network]
    if pull:
        argv.append("--pull")
    if no_cache:
        argv.append("--no-cache")
    if target:
        argv += ["--target", target]
    if tag:
        argv += ["--tag", tag]
    if output:
        argv += ["--output", output]
    if load:
        argv.append("--load")
    argv.append(f"--provenance={str(provenance).lower()}")
    argv.append(os.fspath(context))
    return argv


def push_argv(route: Route, ref: str) -> list[str]:
    return [*docker(route), "push", ref]


def inspect_builder_argv(route: Route) -> list[str]:
    argv = [*docker(route), "buildx", "inspect"]
    if route.builder:
        argv.append(route.builder)
    return argv


# --------------------------------------------------------------------------- output parsing


_PUSHED = re.compile(r"digest: (sha256:[0-9a-f]{64}) size: \d+")


def parse_push_digest(output: str) -> str:
    """The manifest digest ``docker push`` printed (its last ``digest: … size: …`` line)."""
    found = _PUSHED.findall(output)
    if not found:
        raise ConfigError("docker push printed no 'digest: sha256:… size: N' line")
    return str(found[-1])


_PLATFORMS_LINE = re.compile(r"^Platforms:\s*(.*)$", re.MULTILINE)


def parse_builder_platforms(output: str) -> tuple[str, ...]:
    """The platforms ``docker buildx inspect`` lists (``*`` marks of configured ones dropped)."""
    found: list[str] = []
    for line in _PLATFORMS_LINE.findall(output):
        found += [p.strip().rstrip("*") for p in line.split(",") if p.strip()]
    return tuple(dict.fromkeys(found))


# --------------------------------------------------------------------------- runners


def build(
    argv: Sequence[str],
    *,
    log_file: Path,
    runner: proc.CommandRunner = proc.run_command,
    timeout: float | None = None,
) -> proc.Completed:
    """Run one ``buildx build`` argv, appending its output to ``log_file``."""
    return runner(argv, log_file=log_file, timeout=timeout)


def push(
    route: Route, ref: str, *, log_file: Path, runner: proc.CommandRunner = proc.run_command
) -> str:
    """``docker push REF`` (output to the job's log); the pushed manifest digest."""
    done = runner(push_argv(route, ref), log_file=log_file)
    try:
        return parse_push_digest(done.stdout + done.stderr)
    except ConfigError as exc:
        raise CommandFailed(done.argv, done.returncode, done.stdout + str(exc)) from exc


def builder_platforms(
    route: Route, *, runner: proc.CommandRunner = proc.run_command
) -> tuple[str, ...]:
    """Ask the route's builder which platforms it can build (raises when unreachable)."""
    done = runner(inspect_builder_argv(route), timeout=60)
    return parse_builder_platforms(done.stdout)


def list_contexts(*, runner: proc.CommandRunner = proc.run_command) -> tuple[str, ...]:
    done = runner(["docker", "context", "ls", "--format", "{{.Name}}"], timeout=30)
    return tuple(n.strip() for n in done.stdout.splitlines() if n.strip())


def list_builders(*, runner: proc.CommandRunner = proc.run_command) -> tuple[str, ...]:
    done = runner(["docker", "buildx", "ls"], timeout=30)
    names: list[str] = []
    for line in done.stdout.splitlines()[1:]:
        if line and not line[0].isspace() and not line.startswith("\\_"):
            names.append(line.split()[0].rstrip("*"))
    return tuple(names)
