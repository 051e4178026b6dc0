"""The local build farm as orchestrate sees it: where ``scripts/farm`` keeps its state, and the
CPython source mirror that state names.

``scripts/farm up`` records each service it brings up in a JSON file under
``$ORCHESTRATE_FARM_DIR/state/`` (default ``/var/lib/orchestrate-farm``); the source mirror's
is ``state/sources.json``, whose ``download_base`` (or ``url``) is the mirror's address. The
mirror is used only when that file says it is up and the address answers.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

DIR_VARIABLE = "ORCHESTRATE_FARM_DIR"
DEFAULT_DIR = "/var/lib/orchestrate-farm"
SOURCES_STATE = Path("state") / "sources.json"
PYTHON_PATH = "/ftp/python"  # where the mirror lays out the tarballs, as python.org does


def directory() -> Path:
    """The farm's directory: ``$ORCHESTRATE_FARM_DIR``, else the default."""
    return Path(os.environ.get(DIR_VARIABLE, DEFAULT_DIR))


def source_mirror(farm_dir: Path | None = None) -> str | None:
    """The farm's CPython source mirror (``…/ftp/python``) when its state says it is up and
    it answers; None otherwise."""
    where = farm_dir or directory()
    try:
        state = json.loads((where / SOURCES_STATE).read_text())
    except (OSError, ValueError):
        return None
    base = state.get("download_base") or state.get("url")
    if not isinstance(base, str) or not base:
        return None
    base = base.rstrip("/")
    if not base.endswith(PYTHON_PATH):
        base += PYTHON_PATH
    try:
        with urllib.request.urlopen(base + "/", timeout=3) as response:  # noqa: S310 - http(s) URL from the farm state
            if response.status >= 400:
                return None
    except OSError:
        return None
    return base
