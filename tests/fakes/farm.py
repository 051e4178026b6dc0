"""The farm as integration tests see it, and a test repository layered on it.

:class:`Farm` is the value of the session fixture ``farm`` (``tests/integration/conftest.py``
brings the farm up and builds it with :func:`farm_from_status`; its docstring lists the stable
fields). :class:`FarmRepository` is one test's repository on the farm's registry: the farm, the
repository path, a registry client, and the per-platform images the test pushed there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.registry import Client


@dataclass(frozen=True)
class AuthRegistry:
    """The farm's second registry: htpasswd auth over TLS with a CA made by the farm."""

    address: str
    url: str
    username: str
    password: str
    ca: Path


@dataclass(frozen=True)
class SourceFile:
    """One CPython source tarball on the farm's python.org-like mirror."""

    version: str
    url: str
    sha256: str


@dataclass(frozen=True)
class Farm:
    """What ``scripts/farm up --profile test`` made available (see tests/integration/conftest)."""

    registry: str
    registry_url: str
    auth_registry: AuthRegistry | None
    source_mirror: str
    sources: Mapping[str, SourceFile]
    bases: Mapping[str, tuple[str, ...]]
    arches: Mapping[str, tuple[str, ...]]
    busybox: str
    farm_dir: Path
    status: Mapping[str, Any]
    up_output: str


def farm_from_status(status: Mapping[str, Any], up_output: str = "") -> Farm:
    """Build the :class:`Farm` view from ``scripts/farm status --json``."""
    registry = status["registry"]
    auth = status.get("auth_registry")
    auth_registry = None
    if auth:
        auth_registry = AuthRegistry(
            address=auth["address"],
            url=auth["url"],
            username=auth["username"],
            password=Path(auth["password_file"]).read_text().strip(),
            ca=Path(auth["ca"]),
        )
    sources = status["sources"]
    files = {
        version: SourceFile(
            version=version,
            url=f"{sources['url']}/{info['path']}",
            sha256=info["sha256"],
        )
        for version, info in sources.get("files", {}).items()
    }
    images = status["bases"].get("images", {})
    bases = {image: tuple(info["arches"]) for image, info in sorted(images.items())}
    arches: dict[str, list[str]] = {}
    for image, image_arches in bases.items():
        for arch in image_arches:
            arches.setdefault(arch, []).append(image)
    return Farm(
        registry=registry["address"],
        registry_url=registry["url"],
        auth_registry=auth_registry,
        source_mirror=sources["download_base"],
        sources=files,
        bases=bases,
        arches={arch: tuple(images) for arch, images in sorted(arches.items())},
        busybox=status["bases"]["busybox"],
        farm_dir=Path(status["farm_dir"]),
        status=status,
        up_output=up_output,
    )


@dataclass(frozen=True)
class Image:
    """A per-platform image manifest as the farm's registry holds it (what a list entry names)."""

    arch: str
    digest: str
    media_type: str
    size: int


@dataclass(frozen=True)
class FarmRepository:
    """A test repository on the farm's registry and the per-platform images pushed into it."""

    farm: Farm
    repo: str  # repository path on the host, e.g. orchestrate-test/manifest-<run>
    client: Client
    images: Mapping[str, Image]  # bashbrew arch → its image
    root: Path  # the checkout root the test runs ``orchestrate -C`` in (holds its matrix.yml)

    @property
    def host(self) -> str:
        return self.farm.registry

    @property
    def name(self) -> str:
        return f"{self.host}/{self.repo}"
