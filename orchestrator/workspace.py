"""The workspace: the repository root that holds ``matrix.yml``, and the paths under it.

Every command finds its root here (``-C DIR`` or the nearest parent of the current directory
with a ``matrix.yml``) and names the files it reads and writes through ``Workspace``, so the
layout of a checkout is written down once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import ConfigError

MATRIX_FILE = "matrix.yml"


@dataclass(frozen=True)
class Workspace:
    """A repository root and the places orchestrate reads and writes under it."""

    root: Path

    @property
    def matrix(self) -> Path:
        """The one source of truth: ``matrix.yml``."""
        return self.root / MATRIX_FILE

    @property
    def reports(self) -> Path:
        """Release reports: ``reports/<repository>/<tag>.md|.json``."""
        return self.root / "reports"

    @property
    def logs(self) -> Path:
        """Build logs: ``logs/<version>/<job id>.log``."""
        return self.root / "logs"

    @property
    def state(self) -> Path:
        """Run records and other state kept between runs: ``.orchestrate/``."""
        return self.root / ".orchestrate"


def find_root(start: Path | None) -> Path:
    """The repository root: ``start`` if given, else the nearest parent with matrix.yml."""
    if start is not None:
        if not (start / MATRIX_FILE).is_file():
            raise ConfigError(f"{start}: no {MATRIX_FILE} here")
        return start.resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / MATRIX_FILE).is_file():
            return candidate
    raise ConfigError(f"{here}: no {MATRIX_FILE} here or in any parent directory (use -C DIR)")


def find(start: Path | None) -> Workspace:
    """The workspace at ``start`` or around the current directory (see ``find_root``)."""
    return Workspace(find_root(start))
