"""``BuildOptions``: everything ``orchestrate build`` was asked to do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator import retrying
from orchestrator.build.schedule import default_jobs

PYTHON_ORG = "https://www.python.org/ftp/python"


@dataclass(frozen=True)
class BuildOptions:
    """Everything ``orchestrate build`` was asked to do."""

    version: str
    root: Path
    variants: tuple[str, ...] = ()
    arches: tuple[str, ...] = ()
    registry: str = "localhost:5000"
    repository: str = "python"
    jobs: int = field(default_factory=default_jobs)
    dry_run: bool = False
    keep_going: bool = False
    require: tuple[str, ...] = ()
    profile: str | None = "quick"
    download_base: str | None = None
    push_by_digest: bool = False
    results: Path | None = None
    builders: Mapping[str, str] = field(default_factory=dict)
    hub_mirror: str | None = "localhost:5000"
    logs_dir: Path | None = None
    state_dir: Path | None = None
    oci_index: bool = False
    no_cache: bool = False
    policy: retrying.Policy = retrying.DEFAULT

    @property
    def image_repository(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def logs(self) -> Path:
        return (self.logs_dir or self.root / "logs") / self.version

    @property
    def state(self) -> Path:
        return self.state_dir or self.root / ".orchestrate"
