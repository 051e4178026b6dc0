"""Release reports: read a tag's facts from the registry, write markdown and JSON, diff two.

``collect`` asks the registry (concurrently, through ``registry.Client`` and so the one retry
policy) for the tag's manifest list or index, every entry's manifest and config blob, and a HEAD
of every layer for its ``Last-Modified`` (for a foreign layer, a HEAD of its first URL). The
facts become ``model`` dataclasses; ``markdown.render`` makes the markdown. A registry that
sends no ``Last-Modified`` (the local distribution registry does not) gives no
``Last Modified:`` line, as the original generator did.

The JSON report carries the same facts structured (``SCHEMA_VERSION``), plus, when ``build``
writes it, the job's status, duration and content key (``JobInfo``). ``write`` puts both files
in place atomically (temp file + ``os.replace``) as ``<out>/<repository>/<tag>.md``/``.json``.
``diff`` compares two JSON reports of a tag: platforms added or missing, size and layer changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import structlog

from orchestrator import oci, registry
from orchestrator.errors import ConfigError, RegistryError
from orchestrator.files import write_atomic
from orchestrator.report.markdown import (
    DEFAULT_STYLE,
    STYLES,
    Style,
    date,
    history_text,
    mojo_json,
    render,
    size,
)
from orchestrator.report.model import (
    HistoryEntry,
    Image,
    JobInfo,
    Layer,
    PlatformSpec,
    Report,
    config_platform,
    image_from_documents,
    platform_string,
)

__all__ = [
    "DEFAULT_STYLE",
    "SCHEMA_VERSION",
    "STYLES",
    "WORKERS",
    "HistoryEntry",
    "Image",
    "JobInfo",
    "Layer",
    "PlatformSpec",
    "Report",
    "Style",
    "collect",
    "collect_many",
    "config_platform",
    "date",
    "diff",
    "history_text",
    "image_from_documents",
    "load_json",
    "mojo_json",
    "platform_string",
    "publish_report",
    "render",
    "report_paths",
    "size",
    "to_json",
    "write",
]

log = structlog.get_logger(__name__)

T = TypeVar("T")

SCHEMA_VERSION = 1
WORKERS = 16


# --------------------------------------------------------------------------- collecting


def collect(
    ref: registry.Reference,
    client: registry.Client,
    *,
    pool: ThreadPoolExecutor | None = None,
) -> Report:
    """The tag's facts, read from the registry (missing tag → a report that does not exist)."""
    try:
        top = client.get_manifest(ref.repository, ref.reference)
    except RegistryError as exc:
        if exc.status == 404:
            log.info("report.missing", ref=ref.text)
            return Report(ref=ref.text, name=ref.name)
        raise
    own_pool = pool is None
    executor = pool or ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="report")
    try:
        return _collect(ref, client, top, executor)
    finally:
        if own_pool:
            executor.shutdown(wait=True)


def _collect(
    ref: registry.Reference,
    client: registry.Client,
    top: registry.Manifest,
    pool: ThreadPoolExecutor,
) -> Report:
    repo = ref.repository
    if top.is_list:
        entries = list(top.json().get("manifests") or [])
        manifest_futures = [
            pool.submit(client.get_manifest, repo, str(e["digest"])) for e in entries
        ]
        manifests = [f.result() for f in manifest_futures]
        platforms = [PlatformSpec.from_json(e.get("platform")) for e in entries]
        digests: list[str | None] = [m.digest for m in manifests]
    else:
        manifests = [top]
        platforms = []
        digests = [None]

    # Every config blob and every layer HEAD of every image, all at once.
    configs: list[Future[bytes] | None] = []
    heads: dict[str, Future[registry.Head | None]] = {}
    for manifest in manifests:
        doc = manifest.json()
        config_digest = (doc.get("config") or {}).get("digest")
        configs.append(pool.submit(client.get_blob, repo, config_digest) if config_digest else None)
        for layer in doc.get("layers") or []:
            digest = str(layer.get("digest", ""))
            if digest in heads:
                continue
            urls = layer.get("urls") or []
            if layer.get("mediaType") == oci.FOREIGN_LAYER and urls:
                heads[digest] = pool.submit(_head_foreign, client, str(urls[0]))
            elif layer.get("mediaType") == oci.FOREIGN_LAYER:
                continue  # a foreign layer without URLs has no date
            else:
                heads[digest] = pool.submit(client.head_blob, repo, digest)

    answers = {digest: future.result() for digest, future in heads.items()}
    last_modified = {d: h.last_modified for d, h in answers.items() if h is not None}
    sizes = {d: h.size for d, h in answers.items() if h is not None}
    types = {d: h.media_type for d, h in answers.items() if h is not None}

    images = []
    for i, manifest in enumerate(manifests):
        doc = manifest.json()
        future = configs[i]
        config = json.loads(future.result()) if future is not None else {}
        platform = platforms[i] if top.is_list else config_platform(config)
        images.append(
            image_from_documents(
                platform=platform,
                digest=digests[i],
                manifest=doc,
                manifest_media_type=manifest.media_type,
                config_digest=str((doc.get("config") or {}).get("digest", "")),
                config=config,
                last_modified=last_modified,
                head_sizes=sizes,
                head_types=types,
            )
        )
    return Report(
        ref=ref.text,
        name=ref.name,
        digest=top.digest,
        media_type=top.media_type,
        is_list=top.is_list,
        images=tuple(images),
    )


def _head_foreign(client: registry.Client, url: str) -> registry.Head | None:
    try:
        return client.head_url(url)
    except RegistryError as exc:
        # The generator prints no date when the CDN does not answer; neither do we.
        log.warning("report.foreign_layer_unreachable", url=url, error=str(exc))
        return None


# --------------------------------------------------------------------------- JSON


def to_json(report: Report, ref: registry.Reference, job: JobInfo | None = None) -> dict[str, Any]:
    """The structured report (``schemaVersion`` 1)."""
    data: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "ref": report.ref,
        "name": report.name,
        "registry": ref.registry,
        "repository": ref.repository,
        "tag": ref.tag,
        "exists": report.exists,
        "digest": report.digest,
        "mediaType": report.media_type,
        "isList": report.is_list,
        "platforms": [_image_json(image) for image in report.images],
    }
    if job is not None:
        data["job"] = {
            "status": job.status,
            "durationSeconds": job.duration_seconds,
            "contentKey": job.content_key,
        }
    return data


def _image_json(image: Image) -> dict[str, Any]:
    p = image.platform
    return {
        "platform": platform_string(p),
        "os": p.os,
        "architecture": p.architecture,
        "variant": p.variant,
        "osVersion": p.os_version,
        "digest": image.digest,
        "manifestMediaType": image.manifest_media_type,
        "configDigest": image.config_digest,
        "size": image.total_size,
        "dockerVersion": image.docker_version,
        "entrypoint": image.entrypoint,
        "cmd": image.cmd,
        "shell": list(image.shell) if image.shell is not None else None,
        "layers": [
            {
                "digest": layer.digest,
                "size": layer.size,
                "mediaType": layer.media_type,
                "lastModified": layer.last_modified,
                "urls": list(layer.urls),
            }
            for layer in image.layers
        ],
        "history": [
            {"created": h.created, "createdBy": h.created_by, "emptyLayer": h.empty_layer}
            for h in image.history
        ],
    }


# --------------------------------------------------------------------------- writing


def report_paths(out_dir: Path, ref: registry.Reference) -> tuple[Path, Path]:
    """``<out>/<repository>/<tag>.md`` and ``.json`` (``library/`` dropped, as repo-info does)."""
    repository = ref.repository.removeprefix("library/")
    tag = ref.tag or (ref.digest or "latest").replace(":", "-")
    base = out_dir / repository
    return base / f"{tag}.md", base / f"{tag}.json"


def write(
    report: Report,
    ref: registry.Reference,
    out_dir: Path,
    *,
    style: Style = DEFAULT_STYLE,
    job: JobInfo | None = None,
) -> tuple[Path, Path]:
    md_path, json_path = report_paths(out_dir, ref)
    write_atomic(md_path, render(report, style))
    write_atomic(json_path, json.dumps(to_json(report, ref, job), indent=2) + "\n")
    log.info("report.written", ref=ref.text, markdown=str(md_path), json=str(json_path))
    return md_path, json_path


def publish_report(
    ref_text: str,
    out_dir: Path,
    *,
    registry_host: str | None = None,
    job: JobInfo | None = None,
    style: Style = DEFAULT_STYLE,
    client: registry.Client | None = None,
) -> tuple[Path, Path]:
    """What ``build`` calls after publishing a tag: collect, then write both files."""
    ref = registry.parse_reference(ref_text, registry_host)
    report = collect(ref, client or registry.Client(ref.registry))
    return write(report, ref, out_dir, style=style, job=job)


def collect_many(
    refs: Sequence[registry.Reference],
    *,
    client_for: Callable[[str], registry.Client] | None = None,
) -> list[Report]:
    """Reports of several tags, sharing one client per registry host and one thread pool."""
    clients: dict[str, registry.Client] = {}
    make = client_for or registry.Client
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="report") as pool:
        out = []
        for ref in refs:
            client = clients.setdefault(ref.registry, make(ref.registry))
            out.append(collect(ref, client, pool=pool))
        return out


# --------------------------------------------------------------------------- diff


def load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such report") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("schemaVersion") != SCHEMA_VERSION:
        version = data.get("schemaVersion") if isinstance(data, dict) else None
        raise ConfigError(
            f"{path}: schemaVersion: expected {SCHEMA_VERSION}, found {version!r} "
            "(not a report written by orchestrate report)"
        )
    return data


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """What changed between two JSON reports of a tag, as text (one line per fact)."""
    lines = [f"{new.get('ref') or old.get('ref')}: {old.get('digest')} -> {new.get('digest')}"]
    if old.get("digest") == new.get("digest"):
        lines.append("  unchanged (same digest)")
        return "\n".join(lines) + "\n"
    before = {p["platform"]: p for p in old.get("platforms") or []}
    after = {p["platform"]: p for p in new.get("platforms") or []}
    for name in after:
        if name not in before:
            lines.append(f"+ {name}: added ({size(after[name]['size'])})")
    for name in before:
        if name not in after:
            lines.append(f"- {name}: missing (was {size(before[name]['size'])})")
    for name, a in after.items():
        b = before.get(name)
        if b is None:
            continue
        if a.get("digest") == b.get("digest"):
            lines.append(f"= {name}: unchanged")
            continue
        change = a["size"] - b["size"]
        lines.append(
            f"~ {name}: size {size(b['size'])} -> {size(a['size'])} ({_signed(change)} bytes)"
        )
        old_layers = [layer["digest"] for layer in b.get("layers") or []]
        new_layers = [layer["digest"] for layer in a.get("layers") or []]
        kept = len(set(old_layers) & set(new_layers))
        lines.append(f"    layers: {kept} kept")
        sizes = {layer["digest"]: layer.get("size") for layer in a.get("layers") or []}
        sizes_old = {layer["digest"]: layer.get("size") for layer in b.get("layers") or []}
        lines += [f"    + {d} ({size(sizes[d] or 0)})" for d in new_layers if d not in old_layers]
        lines += [
            f"    - {d} ({size(sizes_old[d] or 0)})" for d in old_layers if d not in new_layers
        ]
    return "\n".join(lines) + "\n"
