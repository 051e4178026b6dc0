"""The report's JSON form: ``to_json`` builds it, ``load_json`` reads one back. Pure (no network).

The JSON report carries the facts of the markdown, structured (``schemaVersion`` is
``SCHEMA_VERSION``), plus, when ``build`` writes it, the job's status, duration and content key,
and how each job of the list was built (``model.JobInfo``; ``strategies``: job id → native,
emulate or cross, when known). ``load_json`` refuses a file that is not such a report
(``ConfigError``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from orchestrator.errors import ConfigError
from orchestrator.report.model import Image, JobInfo, Report, platform_string

SCHEMA_VERSION = 1


class TagAddress(Protocol):
    """Where the tag lives, as the JSON report records it (``registry.Reference`` is one)."""

    @property
    def registry(self) -> str: ...

    @property
    def repository(self) -> str: ...

    @property
    def tag(self) -> str | None: ...


def to_json(report: Report, ref: TagAddress, job: JobInfo | None = None) -> dict[str, Any]:
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
        if job.strategies:
            data["job"]["strategies"] = dict(job.strategies)
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


def load_json(path: Path) -> dict[str, Any]:
    """A JSON report written by ``to_json`` (anything else is a ``ConfigError``)."""
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
