"""Reading a tag's facts from the registry: the one module of the report package that does I/O.

``collect`` asks the registry (concurrently, through ``registry.Client`` and so the one retry
policy) for the tag's manifest list or index, every entry's manifest and config blob, and a HEAD
of every layer for its ``Last-Modified`` (for a foreign layer, a HEAD of its first URL). The
answers become ``model`` dataclasses through ``model.image_from_documents``. A registry that
sends no ``Last-Modified`` (the local distribution registry does not) gives no
``Last Modified:`` line, as the original generator did. ``collect_many`` reports several tags
with one client per registry host and one pool of ``WORKERS`` threads.

What the registry answers is checked before it is used (``registry.answers`` checks each
manifest and blob against its digest; here, the shape of the documents): a list entry without a
digest, an entry whose manifest the registry does not have, an image manifest or config blob
that is not what an image's should be, is a ``RegistryError`` naming the tag, the entry and the
request, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import structlog

from orchestrator import oci, registry
from orchestrator.errors import RegistryError
from orchestrator.report.model import PlatformSpec, Report, config_platform, image_from_documents

log = structlog.get_logger(__name__)

WORKERS = 16


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
    where = f"{ref.registry}/{ref.repository}:{ref.reference}"
    if top.is_list:
        entries = _list_entries(top, where)
        manifest_futures = [
            pool.submit(client.get_manifest, repo, str(e["digest"])) for e in entries
        ]
        labels = [f"{where}: manifests[{i}] ({_platform(e)})" for i, e in enumerate(entries)]
        manifests = [_entry_result(f, labels[i]) for i, f in enumerate(manifest_futures)]
        platforms = [PlatformSpec.from_json(e.get("platform")) for e in entries]
        digests: list[str | None] = [m.digest for m in manifests]
    else:
        labels = [where]
        manifests = [top]
        platforms = []
        digests = [None]
    docs = [_image_document(m, labels[i]) for i, m in enumerate(manifests)]

    # Every config blob and every layer HEAD of every image, all at once.
    configs: list[Future[bytes] | None] = []
    heads: dict[str, Future[registry.Head | None]] = {}
    for doc in docs:
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

    answers = {digest: _entry_result(future, where) for digest, future in heads.items()}
    last_modified = {d: h.last_modified for d, h in answers.items() if h is not None}
    sizes = {d: h.size for d, h in answers.items() if h is not None}
    types = {d: h.media_type for d, h in answers.items() if h is not None}

    images = []
    for i, manifest in enumerate(manifests):
        doc = docs[i]
        future = configs[i]
        config = _config(_entry_result(future, labels[i]), labels[i]) if future else {}
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


T = TypeVar("T")


def _entry_result(future: Future[T], where: str) -> T:
    """The answer of one request for an entry; its failure names the tag and the entry."""
    try:
        return future.result()
    except RegistryError as exc:
        raise RegistryError(f"{where}: {exc}", status=exc.status) from exc


def _list_entries(top: registry.Manifest, where: str) -> list[dict[str, Any]]:
    """The entries of a manifest list, each an object with a digest and (if any) a platform."""
    entries = top.json().get("manifests")
    if not isinstance(entries, list):
        raise RegistryError(f"{where}: the {top.media_type} has no 'manifests' array")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not oci.is_sha256_digest(entry.get("digest")):
            raise RegistryError(f"{where}: manifests[{i}] has no sha256 digest")
        if not isinstance(entry.get("platform") or {}, dict):
            raise RegistryError(f"{where}: manifests[{i}].platform is not an object")
    return entries


def _platform(entry: Mapping[str, Any]) -> str:
    p = entry.get("platform") or {}
    return "/".join(str(p[k]) for k in ("os", "architecture", "variant") if p.get(k)) or "?"


def _image_document(manifest: registry.Manifest, where: str) -> dict[str, Any]:
    """An image manifest's JSON, checked to be one: a config descriptor and a list of layers."""
    if manifest.is_list:
        raise RegistryError(f"{where}: {manifest.digest} is a list inside a list")
    doc = manifest.json()
    config = doc.get("config")
    if config is not None and not (isinstance(config, dict) and _is_digest(config)):
        raise RegistryError(f"{where}: {manifest.digest} has a config without a digest")
    layers = doc.get("layers") or []
    bad = not isinstance(layers, list) or not all(
        isinstance(d, dict) and _is_digest(d) and isinstance(d.get("size", 0), int) for d in layers
    )
    if bad:
        raise RegistryError(f"{where}: {manifest.digest} has layers without digest or size")
    return doc


def _is_digest(descriptor: Mapping[str, Any]) -> bool:
    return isinstance(descriptor.get("digest"), str) and bool(descriptor["digest"])


def _config(content: bytes, where: str) -> dict[str, Any]:
    """An image config blob's JSON, checked to be an object (with an object ``config`` and a
    list of object ``history`` entries, when it has them)."""
    try:
        config = json.loads(content)
    except ValueError as exc:
        raise RegistryError(f"{where}: the config blob is not valid JSON ({exc})") from None
    inner = config.get("config") if isinstance(config, dict) else None
    history = config.get("history") if isinstance(config, dict) else None
    if (
        not isinstance(config, dict)
        or not isinstance(inner or {}, dict)
        or not isinstance(history or [], list)
        or not all(isinstance(h, dict) for h in history or [])
    ):
        raise RegistryError(f"{where}: the config blob is not an image config")
    return config


def _head_foreign(client: registry.Client, url: str) -> registry.Head | None:
    try:
        return client.head_url(url)
    except RegistryError as exc:
        # The generator prints no date when the CDN does not answer; neither do we.
        log.warning("report.foreign_layer_unreachable", url=url, error=str(exc))
        return None


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
