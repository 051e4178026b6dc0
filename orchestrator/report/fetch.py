"""Reading a tag's facts from the registry: the one module of the report package that does I/O.

``collect`` asks the registry (concurrently, through ``registry.Client`` and so the one retry
policy) for the tag's manifest list or index, every entry's manifest and config blob, and a HEAD
of every layer for its ``Last-Modified`` (for a foreign layer, a HEAD of its first URL). The
answers become ``model`` dataclasses through ``model.image_from_documents``. A registry that
sends no ``Last-Modified`` (the local distribution registry does not) gives no
``Last Modified:`` line, as the original generator did. ``collect_many`` reports several tags
with one client per registry host and one pool of ``WORKERS`` threads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

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
