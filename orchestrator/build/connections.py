"""What a build talks to: the docker CLI, the registries, the farm, the publisher, the terminal.

``Connections`` holds the real ones by default; unit tests inject fakes (a fake ``docker`` for
``runner``, a registry held in a dict, a publisher without a registry). ``RegistryLookups`` is
what the build asks of registries (``registry.view.BuildRegistry`` is the real one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from orchestrator import buildx, farm, policy, proc
from orchestrator.build import progress
from orchestrator.build.options import BuildOptions
from orchestrator.build.progress import ViewFactory
from orchestrator.plan import Plan
from orchestrator.platforms import Platform
from orchestrator.results import JobResult


class RegistryLookups(Protocol):
    """What the build asks of registries (``registry.view.BuildRegistry`` is the real one)."""

    def parent_digest(self, parent: str, platform: Platform) -> str: ...
    def tag_digest(self, repository: str, tag: str) -> str | None: ...


Publisher = Callable[..., list[policy.TagOutcome]]
Reporter = Callable[
    [Plan, Sequence[policy.TagOutcome], Sequence[JobResult], BuildOptions], list[str]
]


def _stop_children_quietly() -> None:
    proc.stop_children()


@dataclass(frozen=True)
class Connections:
    """What a build talks to; the defaults are the real ones, tests inject their own."""

    runner: proc.CommandRunner = proc.run_command
    registry: RegistryLookups | None = None  # None → registry.view.BuildRegistry, probed first
    platforms_of: Callable[[buildx.Route], Sequence[str]] | None = None
    contexts: Callable[[], Sequence[str]] | None = None
    builders: Callable[[], Sequence[str]] | None = None
    publish: Publisher | None = None  # None → publish.publish
    report: Reporter | None = None  # None → release.write_reports
    view: ViewFactory = progress.choose
    interrupted: threading.Event = field(default_factory=threading.Event)
    on_interrupt: Callable[[], None] = field(default=_stop_children_quietly)
    sleep: Callable[[float], None] = time.sleep
    source_mirror: Callable[[], str | None] = farm.source_mirror  # the farm's, when it is up

    def list_contexts(self) -> Sequence[str]:
        """The docker contexts a bare ``--builder`` name may mean."""
        return (self.contexts or (lambda: buildx.list_contexts(runner=self.runner)))()

    def list_builders(self) -> Sequence[str]:
        """The buildx builders a bare ``--builder`` name may mean."""
        return (self.builders or (lambda: buildx.list_builders(runner=self.runner)))()

    def builder_platforms(self, route: buildx.Route) -> Sequence[str]:
        """The platforms the builder of ``route`` lists (``docker buildx inspect``)."""
        if self.platforms_of is not None:
            return self.platforms_of(route)
        return buildx.builder_platforms(route, runner=self.runner)
