"""A FAKE Windows image, pushed through the registry API: no Windows engine exists here.

What the registry then holds is shaped like a real ``windows/amd64`` image: a config with
``"os": "windows"`` and a full ``os.version`` (plus whatever history, ``Shell`` and
``docker_version`` a test needs), and a schema-2 manifest whose base layer is foreign
(``urls`` pointing at ``<foreign_url>/<digest>``, the blob itself never pushed) followed by one
small real layer. The tag says it is fake (``fake-windows`` by default).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator import oci
from orchestrator.registry import Client

# Where a real Windows base layer lives (unreachable here; nothing ever fetches it).
MCR_BLOBS = "https://mcr.microsoft.com/v2/windows/servercore/blobs"


@dataclass(frozen=True)
class FakeWindowsImage:
    """The pushed fake: its manifest as the registry holds it, and its platform."""

    digest: str
    media_type: str
    size: int
    os_version: str

    def list_entry(self) -> dict[str, Any]:
        """The image as one entry of a manifest list."""
        return {
            "mediaType": self.media_type,
            "size": self.size,
            "digest": self.digest,
            "platform": {"architecture": "amd64", "os": "windows", "os.version": self.os_version},
        }


def push_fake_windows_image(
    client: Client,
    repo: str,
    *,
    run_id: str,
    os_version: str,
    history: Sequence[Mapping[str, str]],
    foreign_size: int,
    foreign_url: str = MCR_BLOBS,
    shell: Sequence[str] | None = None,
    docker_version: str | None = None,
    tag: str = "fake-windows",
) -> FakeWindowsImage:
    """Push a fake ``windows/amd64`` image to ``repo`` under ``tag``; ``run_id`` keeps its
    layer and foreign-layer digests apart from other runs'."""
    config: dict[str, Any] = {"architecture": "amd64", "os": "windows", "os.version": os_version}
    if docker_version is not None:
        config["docker_version"] = docker_version
    config["config"] = {"Cmd": ["python"]}
    if shell is not None:
        config["config"]["Shell"] = list(shell)
    config["history"] = [dict(h) for h in history]
    config["rootfs"] = {"type": "layers", "diff_ids": []}
    config_bytes = json.dumps(config).encode()
    config_digest = client.upload_blob(repo, config_bytes)
    layer = f"fake windows layer {run_id}".encode()
    layer_digest = client.upload_blob(repo, layer)
    foreign_digest = oci.digest(f"fake-foreign-{run_id}".encode())
    layers = [
        {
            "mediaType": oci.FOREIGN_LAYER,
            "size": foreign_size,
            "digest": foreign_digest,
            "urls": [f"{foreign_url}/{foreign_digest}"],
        },
        {"mediaType": oci.LAYER, "size": len(layer), "digest": layer_digest},
    ]
    manifest = oci.image_manifest(config_digest, len(config_bytes), layers)
    body = json.dumps(manifest, indent=3).encode()
    digest = client.put_manifest(repo, tag, body, oci.MANIFEST_V2)
    return FakeWindowsImage(digest, oci.MANIFEST_V2, len(body), os_version)
