"""The report's JSON form: ``to_json`` builds it, ``load_json`` reads one back. Pure (no network).

The JSON report carries the facts of the markdown, structured (``schemaVersion`` is
``SCHEMA_VERSION``), plus, when ``build`` writes it, the job's status, duration and content key,
and how each job of the list was built (``model.JobInfo``; ``strategies``: job id → native,
emulate or cross, when known). ``load_json`` refuses a file that is not such a report
(``ConfigError``, exit 2, every problem at once as ``FILE: key.path: message``): not readable,
not UTF-8, not JSON (or nested past what the parser can read), ``schemaVersion`` not the integer
1 (``true`` is no version), and the fields ``--diff`` reads of the wrong type.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from orchestrator.errors import ConfigError
from orchestrator.files import read_json
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
        data = read_json(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such report") from None
    version = data.get("schemaVersion") if isinstance(data, dict) else None
    if not isinstance(data, dict) or isinstance(version, bool) or version != SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: schemaVersion: expected {SCHEMA_VERSION}, found {_shown(version)} "
            "(not a report written by orchestrate report)"
        )
    problems = _diff_fields(data)
    if problems:
        raise ConfigError([f"{path}: {p}" for p in problems])
    return data


def _shown(value: object) -> str:
    """A value as JSON spells it, cut short (``true``, ``"x"``, ``[…]``)."""
    text = json.dumps(value) if isinstance(value, str | int | float | bool | None) else "…"
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    return {int: "a number", float: "a number", str: "a string", list: "a list"}.get(
        type(value), "an object" if isinstance(value, dict) else "null"
    )


def _diff_fields(data: dict[str, Any]) -> list[str]:
    """What is wrong with the fields ``compare.diff`` reads, as ``key.path: message``."""
    problems: list[str] = []

    def want(value: object, ok: bool, where: str, what: str) -> bool:
        if not ok:
            problems.append(f"{where}: expected {what}, got {_kind(value)}")
        return ok

    def text(value: object, where: str, *, null: bool = True) -> None:
        want(value, isinstance(value, str) or (null and value is None), where, "a string")

    def size(value: object, where: str, *, null: bool = False) -> None:
        number = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        want(value, number or (null and value is None), where, "a non-negative integer")

    text(data.get("ref"), "ref")
    text(data.get("digest"), "digest")
    platforms = data.get("platforms", [])
    if not want(platforms, isinstance(platforms, list), "platforms", "a list"):
        return problems
    for i, entry in enumerate(platforms):
        where = f"platforms[{i}]"
        if not want(entry, isinstance(entry, dict), where, "an object"):
            continue
        text(entry.get("platform"), f"{where}.platform", null=False)
        text(entry.get("digest"), f"{where}.digest")
        size(entry.get("size"), f"{where}.size")
        layers = entry.get("layers", [])
        if not want(layers, isinstance(layers, list), f"{where}.layers", "a list"):
            continue
        for j, layer in enumerate(layers):
            at = f"{where}.layers[{j}]"
            if want(layer, isinstance(layer, dict), at, "an object"):
                text(layer.get("digest"), f"{at}.digest", null=False)
                size(layer.get("size"), f"{at}.size", null=True)
    return problems
