"""The facts a release report is made of, and the one path from registry documents to them. Pure.

A report is plain frozen dataclasses: ``Report`` (the tag) → ``Image`` (one platform) →
``Layer``/``HistoryEntry``, with ``PlatformSpec`` for a list entry's ``platform`` object and
``JobInfo`` for what ``build`` adds about the job that published the tag.
``image_from_documents`` and ``config_platform`` turn an image manifest, its config JSON and the
layers' HEAD answers into an ``Image``; the golden seed test and the live collector
(``report.collect``) both go through them. ``platform_string`` is a platform's name as repo-info
spells it (``linux; arm variant v7``): the markdown prints it, the JSON report keys on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.oci import MANIFEST_V2


@dataclass(frozen=True)
class PlatformSpec:
    """A manifest-list entry's ``platform`` object (or the config's os/architecture)."""

    os: str | None = None
    architecture: str | None = None
    variant: str | None = None
    os_version: str | None = None
    os_features: tuple[str, ...] = ()
    features: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | None) -> PlatformSpec:
        obj = obj or {}
        return cls(
            os=obj.get("os") or None,
            architecture=obj.get("architecture") or None,
            variant=obj.get("variant") or None,
            os_version=obj.get("os.version") or None,
            os_features=tuple(obj.get("os.features") or ()),
            features=tuple(obj.get("features") or ()),
        )


@dataclass(frozen=True)
class Layer:
    """A layer descriptor of an image manifest, plus the date a HEAD of it gave (if any)."""

    digest: str
    size: int | None
    media_type: str | None
    last_modified: str | None = None  # the raw Last-Modified header
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryEntry:
    created: str | None
    created_by: str
    empty_layer: bool = False


@dataclass(frozen=True)
class Image:
    """One platform's image: manifest facts and the config fields the report uses."""

    platform: PlatformSpec
    digest: str | None  # the entry's own manifest digest; None for a single-manifest tag
    config_digest: str
    manifest_media_type: str = MANIFEST_V2
    docker_version: str | None = None
    entrypoint: Any = None
    cmd: Any = None
    shell: tuple[str, ...] | None = None
    history: tuple[HistoryEntry, ...] = ()
    layers: tuple[Layer, ...] = ()

    @property
    def total_size(self) -> int:
        return sum(layer.size or 0 for layer in self.layers)


@dataclass(frozen=True)
class Report:
    """A tag's facts. ``digest is None`` means the tag does not exist."""

    ref: str  # the reference as requested, e.g. "python:3.8-rc"
    name: str  # what `docker pull NAME@…` shows, e.g. "python"
    digest: str | None = None
    media_type: str | None = None
    is_list: bool = True
    images: tuple[Image, ...] = field(default_factory=tuple)

    @property
    def exists(self) -> bool:
        return self.digest is not None


@dataclass(frozen=True)
class JobInfo:
    """What ``build`` knows about the job that published the tag."""

    status: str
    duration_seconds: float | None = None
    content_key: str | None = None
    # How each job of the tag's list was built: (job id, native|emulate|cross), in list order.
    strategies: tuple[tuple[str, str], ...] = ()


def platform_string(p: PlatformSpec) -> str:
    """``linux; arm variant v7``, ``windows version 10.0.17763.615; amd64``, ``unknown; …``."""
    left = p.os or "linux"
    if p.os_version:
        left += f" version {p.os_version}"
    if p.os_features:
        left += " ft. " + ", ".join(p.os_features)
    right = p.architecture or "amd64"
    if p.variant:
        right += f" variant {p.variant}"
    if p.features:
        right += " ft. " + ", ".join(p.features)
    return f"{left}; {right}"


# --------------------------------------------------------------------------- documents → facts


def image_from_documents(
    *,
    platform: PlatformSpec,
    digest: str | None,
    manifest: Mapping[str, Any],
    manifest_media_type: str | None,
    config_digest: str,
    config: Mapping[str, Any] | None,
    last_modified: Mapping[str, str | None],
    head_sizes: Mapping[str, int | None] | None = None,
    head_types: Mapping[str, str | None] | None = None,
) -> Image:
    """An ``Image`` from an image manifest, its config JSON and the layers' HEAD answers.

    ``last_modified`` maps a layer digest to its ``Last-Modified`` header (absent or None: no
    date line). Descriptor sizes and media types win; HEAD values are only fall-backs.
    """
    cfg = config or {}
    inner = cfg.get("config") or {}
    shell = inner.get("Shell")
    layers = []
    for d in manifest.get("layers") or []:
        dg = str(d.get("digest", ""))
        sz = d.get("size")
        layers.append(
            Layer(
                digest=dg,
                size=int(sz) if sz is not None else (head_sizes or {}).get(dg),
                media_type=d.get("mediaType") or (head_types or {}).get(dg),
                last_modified=last_modified.get(dg),
                urls=tuple(d.get("urls") or ()),
            )
        )
    history = tuple(
        HistoryEntry(
            created=h.get("created"),
            created_by=str(h.get("created_by") or ""),
            empty_layer=bool(h.get("empty_layer")),
        )
        for h in cfg.get("history") or []
    )
    return Image(
        platform=platform,
        digest=digest,
        config_digest=config_digest,
        manifest_media_type=manifest_media_type or MANIFEST_V2,
        docker_version=cfg.get("docker_version") or None,
        entrypoint=inner.get("Entrypoint"),
        cmd=inner.get("Cmd"),
        shell=tuple(shell) if isinstance(shell, list) else None,
        history=history,
        layers=tuple(layers),
    )


def config_platform(config: Mapping[str, Any] | None) -> PlatformSpec:
    """The single-manifest platform: the config's ``os``/``architecture`` only."""
    cfg = config or {}
    return PlatformSpec(os=cfg.get("os") or None, architecture=cfg.get("architecture") or None)
