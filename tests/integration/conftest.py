"""The real build farm for integration tests, brought up once per test session.

Request the session-scoped fixture ``farm`` in any integration test. It runs
``scripts/farm up --profile test`` (idempotent: what already runs is reused, what is current is
skipped) and returns a :class:`~tests.fakes.farm.Farm` (defined in ``tests/fakes/farm.py``,
importable from here too). If the farm cannot be brought up the tests fail; they are
skipped only when explicitly told to, with ``ORCHESTRATE_SKIP_INTEGRATION=1``.

The interface is stable; other tests rely on it:

``farm.registry``        ``"localhost:5000"`` — the plain-HTTP registry (127.0.0.1 only), also the
                         engine's Docker Hub mirror: ``FROM debian:bookworm`` resolves there.
``farm.registry_url``    ``"http://127.0.0.1:5000"`` for the registry HTTP API.
``farm.auth_registry``   :class:`AuthRegistry` (``address`` ``"localhost:5443"``, ``url``,
                         ``username``, ``password``, ``ca`` = path of the CA made by the farm;
                         the engine trusts it via ``/etc/docker/certs.d``), or None.
``farm.source_mirror``   the python.org-like download base, ``"http://127.0.0.1:8088/ftp/python"``
                         (the ``PYTHON_DOWNLOAD_BASE`` build argument; builds need
                         ``--network host`` to reach it).
``farm.sources``         ``{"3.13.5": SourceFile(url=…, sha256=…), …}``.
``farm.bases``           ``{"library/debian:bookworm": ("amd64", "i386"), …}`` — every manifest
                         list of base images and the bashbrew architectures it holds.
``farm.arches``          ``{"arm64v8": ("library/busybox:latest", …), …}`` — the same, by
                         architecture: what a test may build ``FROM`` on each platform.
``farm.busybox``         ``"localhost:5000/library/busybox:latest"`` — Debian's busybox-static
                         for amd64, i386, arm64v8, arm32v7, arm32v5, ppc64le and s390x (also
                         per architecture as ``localhost:5000/<arch>/busybox:latest``): the cheap
                         base for small image families on emulated platforms.
``farm.farm_dir``        the farm directory (``ORCHESTRATE_FARM_DIR``, default
                         ``/var/lib/orchestrate-farm``).
``farm.status``          the full ``scripts/farm status --json`` document.
``farm.up_output``       what ``scripts/farm up`` printed (one line per step).

The test profile provides: ``debian:bookworm`` and ``debian:bookworm-slim`` for amd64 and i386,
``buildpack-deps:bookworm`` (-curl, -scm, full) for amd64, busybox for all seven Linux
architectures, both registries, the Hub mirror, and the CPython sources 3.13.5 and 3.11.2. A
farm already brought up with the full profile offers more (lists never shrink); tests must not
rely on more than the above.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.farm import AuthRegistry, Farm, SourceFile, farm_from_status

# The farm's view lives in tests.fakes.farm; these names stay importable from here.
__all__ = [
    "FARM_SCRIPT",
    "AuthRegistry",
    "Farm",
    "SourceFile",
    "farm",
    "farm_from_status",
    "farm_status",
]

REPO = Path(__file__).resolve().parents[2]
FARM_SCRIPT = REPO / "scripts" / "farm"
# A cold test-profile farm takes a few minutes (see docs/farm.md); this bounds a hung step.
UP_TIMEOUT = 45 * 60


def farm_status() -> dict[str, Any]:
    out = subprocess.run(
        [str(FARM_SCRIPT), "status", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    status: dict[str, Any] = json.loads(out.stdout)
    return status


@pytest.fixture(scope="session")
def farm() -> Farm:
    """The real farm, brought up once per session (``scripts/farm up --profile test``)."""
    if os.environ.get("ORCHESTRATE_SKIP_INTEGRATION") == "1":
        pytest.skip("ORCHESTRATE_SKIP_INTEGRATION=1: integration tests skipped as asked")
    env = {
        **os.environ,
        "ORCHESTRATE_FARM_PROFILE": os.environ.get("ORCHESTRATE_FARM_PROFILE", "test"),
    }
    up = subprocess.run(
        [str(FARM_SCRIPT), "up"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=UP_TIMEOUT,
        check=False,
    )
    if up.returncode != 0:
        pytest.fail(
            f"scripts/farm up failed (exit {up.returncode}):\n{up.stdout}\n{up.stderr}",
            pytrace=False,
        )
    return farm_from_status(farm_status(), up.stdout)


@pytest.fixture(scope="module")
def local_images() -> Iterator[list[str]]:
    """References of images a test module's runs loaded into the engine, removed at its end."""
    refs: list[str] = []
    yield refs
    if refs:
        subprocess.run(["docker", "image", "rm", *refs], capture_output=True, check=False)
