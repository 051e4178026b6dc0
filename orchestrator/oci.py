"""The OCI / Docker distribution vocabulary: media types, digests, and list/index bytes. No I/O.

Every module that names a media type, computes a content digest or writes the bytes of a
manifest list takes them from here, so the registry client, the publisher and the report
formatter cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from orchestrator.platforms import Platform

MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_V1 = "application/vnd.docker.distribution.manifest.v1+json"
MANIFEST_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.docker.container.image.v1+json"
LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

LIST_TYPES = frozenset({MANIFEST_LIST, OCI_INDEX})
SCHEMA1_TYPES = frozenset({MANIFEST_V1, MANIFEST_V1_SIGNED})
# What a client asks a registry for, best first: lists, then single-platform manifests.
ACCEPT_ALL = (MANIFEST_LIST, OCI_INDEX, MANIFEST_V2, OCI_MANIFEST, MANIFEST_V1_SIGNED, MANIFEST_V1)

SHA256_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def digest(content: bytes) -> str:
    """The content digest (``sha256:<hex>``) of exactly these bytes."""
    return "sha256:" + hashlib.sha256(content).hexdigest()


def is_sha256_digest(text: object) -> bool:
    """Whether ``text`` is exactly a ``sha256:`` digest (64 lowercase hex digits, nothing more)."""
    return isinstance(text, str) and SHA256_DIGEST.fullmatch(text) is not None


class Descriptor(Protocol):
    """One entry of a list: the per-platform manifest as the registry holds it."""

    @property
    def media_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def digest(self) -> str: ...
    @property
    def platform(self) -> Platform: ...


def list_bytes(entries: Sequence[Descriptor], *, oci_index: bool = False) -> tuple[str, bytes]:
    """The media type and exact bytes of the list naming ``entries`` in the order given."""
    if not entries:
        raise ValueError("a manifest list needs at least one entry")
    media_type = OCI_INDEX if oci_index else MANIFEST_LIST
    doc = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": [
            {
                "mediaType": e.media_type,
                "size": e.size,
                "digest": e.digest,
                "platform": e.platform.to_json(),
            }
            for e in entries
        ],
    }
    # Indent 3 is what `docker manifest push` writes; any stable form would do, the digest is
    # computed from exactly these bytes.
    return media_type, json.dumps(doc, indent=3).encode() + b"\n"


def image_manifest(
    config_digest: str, config_size: int, layers: Sequence[Mapping[str, object]]
) -> dict[str, object]:
    """A Docker schema 2 image manifest naming a config blob and ``layers`` (descriptors)."""
    return {
        "schemaVersion": 2,
        "mediaType": MANIFEST_V2,
        "config": {"mediaType": CONFIG, "size": config_size, "digest": config_digest},
        "layers": list(layers),
    }
