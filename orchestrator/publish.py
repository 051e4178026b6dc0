"""Push the manifest lists the policy allows, through the registry client.

``publish`` runs the pure policy (``orchestrator.policy.decide``), then, before any PUT,
looks up every per-platform manifest the lists will name: a HEAD by digest (a results file
naming a digest the registry does not have stops everything: nothing is published), a GET of
the manifest and of its config blob to check that the image really is of the job's platform and
to read ``os.version`` of Windows images. Only then is one list PUT per publishable tag. A tag
that already points at exactly these bytes is left alone (reported ``unchanged``); held tags
are never touched, so their previous list stays in place.

A per-platform digest that is itself an index (BuildKit may wrap an image with attestation
entries) is resolved to its one manifest for the job's platform; the list names that manifest.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import structlog

from orchestrator import oci, platforms, policy, registry
from orchestrator.errors import ConfigError, RegistryError
from orchestrator.plan import Job, Plan
from orchestrator.platforms import Platform
from orchestrator.policy import ListEntry, TagOutcome
from orchestrator.results import JobResult

log = structlog.get_logger(__name__)


def publish(
    plan: Plan,
    results: Sequence[JobResult],
    *,
    repository: str,
    client: registry.Client | None = None,
    require: Sequence[str] = (),
    keep_going: bool = False,
    oci_index: bool = False,
) -> list[TagOutcome]:
    """Assemble and push every publishable list of ``plan`` into ``repository``.

    ``repository`` is the full name the per-platform images were pushed to, e.g.
    ``localhost:5000/python``. Returns one outcome per tag, in the plan's manifest order.
    Raises ConfigError (and publishes nothing) when a result names a digest the registry does
    not hold, or an image that is not of its job's platform.
    """
    target = registry.parse_reference(repository)
    client = client or registry.Client(target.registry)
    decisions = policy.decide(plan, results, require=require, keep_going=keep_going)
    by_id = {r.job_id: r for r in results}
    needed = [j for j in plan.jobs if any(d.publish and j.id in d.entries for d in decisions)]
    entries = _resolve_all(client, target, needed, by_id)

    outcomes: list[TagOutcome] = []
    for n, d in enumerate(decisions):
        missing = tuple(m.job_id for m in d.missing)
        if not d.publish:
            log.warning("manifest.held", tag=d.tag, missing=list(missing), reason=d.reason)
            outcomes.append(
                TagOutcome(d.tag, False, None, (), missing, d.reason, required=d.required)
            )
            continue
        media_type, content = oci.list_bytes([entries[i] for i in d.entries], oci_index=oci_index)
        digest = oci.digest(content)
        try:
            unchanged = _put_list(client, target, d.tag, content, media_type)
        except RegistryError as exc:
            done = [o.tag for o in outcomes if o.published]
            rest = [x.tag for x in decisions[n:] if x.publish]
            raise RegistryError(
                f"tag {d.tag}: {exc}\nlists published before it: {', '.join(done) or 'none'}; "
                f"not published: {', '.join(rest)} (their previous lists are unchanged)",
                status=exc.status,
            ) from exc
        log.info(
            "manifest.published",
            tag=d.tag,
            digest=digest,
            entries=len(d.entries),
            unchanged=unchanged,
            media_type=media_type,
        )
        outcomes.append(
            TagOutcome(
                d.tag,
                True,
                digest,
                d.entries,
                missing,
                d.reason,
                required=d.required,
                unchanged=unchanged,
            )
        )
    return outcomes


def _put_list(
    client: registry.Client, target: registry.Reference, tag: str, content: bytes, media_type: str
) -> bool:
    """PUT one list under ``tag`` unless the tag already names these bytes (True then)."""
    digest = oci.digest(content)
    current = client.head_manifest(target.repository, tag)
    if current is not None and current.digest == digest:
        return True
    pushed = client.put_manifest(target.repository, tag, content, media_type)
    if pushed != digest:
        raise RegistryError(
            f"PUT manifest {target.name}:{tag}: the registry stored {pushed}, "
            f"expected {digest} (it rewrote the list?)"
        )
    return False


def _resolve_all(
    client: registry.Client,
    target: registry.Reference,
    jobs: Sequence[Job],
    by_id: dict[str, JobResult],
) -> dict[str, ListEntry]:
    """Every entry the lists will name, or ConfigError listing every problem (nothing pushed)."""
    problems: list[str] = []
    out: dict[str, ListEntry] = {}
    for job in jobs:
        result = by_id[job.id]
        assert result.digest is not None  # decide() only lists available results
        where = f"results: job {job.id!r}"
        pushed_to = registry.parse_reference(result.repository)
        if (pushed_to.registry, pushed_to.repository) != (target.registry, target.repository):
            problems.append(
                f"{where}: image is in {result.repository}, not {target.name}; a list can only "
                "name manifests of its own repository"
            )
            continue
        try:
            out[job.id] = _resolve(client, target, job, result.digest)
        except _Bad as exc:
            problems.append(f"{where}: {exc}")
        except RegistryError as exc:
            # one line, of the same kind (an AuthError stays one): the reason, then that
            raise type(exc)(f"{where}: {exc}; nothing was published", status=exc.status) from exc
    if problems:
        raise ConfigError([*problems, "nothing was published"])
    return out


class _Bad(Exception):
    """One problem with one entry (collected, then reported together)."""


def _resolve(
    client: registry.Client, target: registry.Reference, job: Job, digest: str
) -> ListEntry:
    repo = target.repository
    head = client.head_manifest(repo, digest)
    if head is None:
        raise _Bad(f"digest {digest} is not in {target.name} (the registry has no such manifest)")
    found = client.get_manifest(repo, digest)
    if oci.digest(found.content) != digest:
        raise _Bad(f"the registry's manifest {digest} does not hash to its digest")
    if found.is_list:
        found = _pick(client, target, job, found)
    doc = found.json()
    config_desc = doc.get("config")
    if not isinstance(config_desc, dict) or not isinstance(config_desc.get("digest"), str):
        raise _Bad(f"manifest {found.digest} ({found.media_type}) has no config descriptor")
    try:
        config: Any = json.loads(client.get_blob(repo, config_desc["digest"]))
    except ValueError as exc:
        raise _Bad(f"config blob {config_desc['digest']} is not JSON: {exc}") from None
    platform = _check_platform(job.platform, config if isinstance(config, dict) else {})
    return ListEntry(
        job_id=job.id,
        media_type=found.media_type,
        size=len(found.content),
        digest=found.digest,
        platform=platform,
    )


def _pick(
    client: registry.Client, target: registry.Reference, job: Job, index: registry.Manifest
) -> registry.Manifest:
    want = job.platform
    listed = index.json().get("manifests")
    matches = [
        m
        for m in (listed if isinstance(listed, list) else [])
        if isinstance(m, dict)
        and isinstance(m.get("platform") or {}, dict)
        and platforms.matches(m.get("platform") or {}, want)
    ]
    if len(matches) == 1 and not oci.is_sha256_digest(matches[0].get("digest")):
        raise _Bad(f"digest {index.digest}: the {want.oci} entry has no sha256 digest")
    if len(matches) != 1:
        raise _Bad(
            f"digest {index.digest} is a list with {len(matches)} entries for {want.oci}, "
            "expected exactly one"
        )
    inner = client.get_manifest(target.repository, matches[0]["digest"])
    if inner.is_list:
        raise _Bad(f"digest {index.digest}: nested lists are not supported")
    return inner


def _check_platform(want: Platform, config: dict[str, Any]) -> Platform:
    """The entry's platform: the plan's, with Windows ``os.version`` from the image config."""
    got_os, got_arch = config.get("os"), config.get("architecture")
    if (got_os, got_arch) != (want.os, want.architecture):
        raise _Bad(f"image is {got_os}/{got_arch} according to its config, not {want.oci}")
    if not platforms.matches(config, want.with_os_version(None)):
        variant = config.get("variant") or "none"
        raise _Bad(f"image variant is {variant} according to its config, not {want.variant}")
    if not want.is_windows:
        return want.with_os_version(None)
    os_version = config.get("os.version")
    if not isinstance(os_version, str) or not os_version:
        raise _Bad("Windows image config has no os.version (needed for the list entry)")
    # The matrix may name the build (10.0.17763) while the image carries the patch level too
    # (10.0.17763.615): only a different build is worth a warning.
    if want.os_version and os_version.split(".")[:3] != want.os_version.split(".")[:3]:
        log.warning("manifest.os_version_differs", planned=want.os_version, image=os_version)
    return want.with_os_version(os_version)
