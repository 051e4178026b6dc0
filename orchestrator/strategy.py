"""How each job is built: ``native``, ``emulate`` or ``cross``, settled from what it asks. Pure.

A job asks for a strategy (``Job.strategy``: a ``lines.<name>.strategies`` rule, or
``--strategy`` for every job; ``auto`` when neither says). ``resolve`` is the one rule that
settles it, from three facts about the job:

- does its builder run the job's platform natively? Yes when the job is routed to a named
  builder (``matrix.yml`` ``builders`` or ``--builder``: a routed architecture is assumed to
  build natively there, which is why one routes it), or when its architecture needs no qemu on
  an x86-64 build host (``platforms.ARCHES[arch].emulated_on_x86_64``);
- does its variant's template set have a cross template
  (``templates/<template>/<family>.cross.Dockerfile.j2``; the caller looks, ``render`` knows
  where)?

``auto`` is ``native`` where the builder runs the platform natively, else ``cross`` where a
cross template exists, else ``emulate``. An explicit ``native`` on a builder that would emulate
the platform, or an explicit ``cross`` without a cross template, is a ``ConfigError`` naming
the job (exit 2). An explicit ``emulate`` of a platform the builder runs natively is ``native``:
nothing would be emulated, and the label and summary say what really happens; so is an explicit
``cross`` there (nothing to cross to: ``--strategy cross`` builds a release's foreign
architectures cross and its native ones natively).

``resolve_plan`` settles every job of a plan (every problem at once, before anything is built)
and gives a ``cross`` job its own Dockerfile (``plan.dockerfile_path``). Every image is labelled
with its job's strategy (``LABEL``). No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from orchestrator.errors import ConfigError
from orchestrator.matrix import AUTO, CROSS, EMULATE, NATIVE, Matrix, Variant
from orchestrator.plan import Job, Plan, dockerfile_path
from orchestrator.platforms import ARCHES

# The builder name that means the local engine's default builder (as ``buildx.parse_route``).
DEFAULT_BUILDER = "default"

# The image label every build carries with the job's strategy (next to the content key's).
LABEL = "io.orchestrate.strategy"


def is_routed(job: Job, builders: Mapping[str, str]) -> bool:
    """Whether ``job`` goes to a named builder: ``builders`` (``--builder``) or the matrix's."""
    name = builders.get(job.arch, job.builder)
    return bool(name) and name != DEFAULT_BUILDER


def runs_natively(job: Job, *, routed: bool) -> bool:
    """Whether the job's builder runs its platform without emulation."""
    return routed or not ARCHES[job.arch].emulated_on_x86_64


def resolve(job: Job, *, routed: bool, has_cross_template: bool) -> str:
    """How ``job`` is built (``native``, ``emulate`` or ``cross``); ConfigError when it asks for
    what cannot be done (see the module doc)."""
    native = runs_natively(job, routed=routed)
    asked = job.strategy
    if asked == AUTO:
        if native:
            return NATIVE
        return CROSS if has_cross_template else EMULATE
    if asked == NATIVE and not native:
        arch = job.arch
        raise ConfigError(
            f"{job.id}: strategy native: the default builder runs {job.platform.oci} only under "
            f"emulation (route {arch} to a builder that runs it natively: matrix.yml builders or "
            f"--builder {arch}=NAME; or ask for emulate or auto)"
        )
    if asked == CROSS and not has_cross_template and not native:
        raise ConfigError(
            f"{job.id}: strategy cross: variant {job.variant} has no cross template "
            f"({job.family}.cross.Dockerfile.j2 in its template set; ask for emulate or auto)"
        )
    if asked in (EMULATE, CROSS) and native:
        return NATIVE
    if asked in (NATIVE, EMULATE, CROSS):
        return asked
    raise ConfigError(f"{job.id}: unknown strategy {asked!r}")


def resolve_plan(
    plan: Plan,
    matrix: Matrix,
    *,
    has_cross_template: Callable[[Variant], bool],
    builders: Mapping[str, str] | None = None,
) -> Plan:
    """``plan`` with every job's strategy settled and a cross job's Dockerfile its own.

    ``builders`` are the ``--builder ARCH=NAME`` overrides (the matrix's are on the jobs);
    ``has_cross_template(variant)`` says whether the variant's template set has a cross
    template. ConfigError lists every job that asks for what cannot be done.
    """
    overrides = builders or {}
    cross: dict[str, bool] = {}
    problems: list[str] = []
    jobs: list[Job] = []
    for job in plan.jobs:
        variant = matrix.variants[job.variant]
        if variant.name not in cross:
            cross[variant.name] = has_cross_template(variant)
        try:
            how = resolve(
                job,
                routed=is_routed(job, overrides),
                has_cross_template=cross[variant.name],
            )
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        dockerfile = dockerfile_path(matrix.line_for(job.version), variant, job.arch, how)
        jobs.append(replace(job, strategy=how, dockerfile=dockerfile, context=dockerfile.parent))
    if problems:
        raise ConfigError(problems)
    return replace(plan, jobs=tuple(jobs))
