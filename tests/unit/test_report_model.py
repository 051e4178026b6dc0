"""The report's facts: a platform's name, and registry documents → ``Image`` (report.model)."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import oci
from orchestrator.report.model import (
    HistoryEntry,
    Layer,
    PlatformSpec,
    image_from_documents,
    platform_string,
)

# --------------------------------------------------------------------------- platform


@pytest.mark.parametrize(
    ("obj", "text"),
    [
        ({"os": "linux", "architecture": "amd64"}, "linux; amd64"),
        ({"os": "linux", "architecture": "arm", "variant": "v5"}, "linux; arm variant v5"),
        ({"os": "linux", "architecture": "arm64", "variant": "v8"}, "linux; arm64 variant v8"),
        (
            {"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.615"},
            "windows version 10.0.17763.615; amd64",
        ),
        ({"os": "unknown", "architecture": "unknown"}, "unknown; unknown"),
        ({}, "linux; amd64"),
        (
            {
                "os": "windows",
                "architecture": "amd64",
                "os.features": ["win32k"],
                "features": ["sse4"],
            },
            "windows ft. win32k; amd64 ft. sse4",
        ),
    ],
)
def test_platform_string(obj: dict[str, Any], text: str) -> None:
    assert platform_string(PlatformSpec.from_json(obj)) == text


def test_documents_to_facts_falls_back_to_head_values() -> None:
    image = image_from_documents(
        platform=PlatformSpec("windows", "amd64", os_version="10.0.17763.615"),
        digest="sha256:1",
        manifest={"layers": [{"digest": "sha256:l", "urls": ["http://x/l"]}]},
        manifest_media_type=None,
        config_digest="sha256:c",
        config={"config": {"Shell": ["cmd", "/S", "/C"]}, "history": [{"created_by": "x"}]},
        last_modified={"sha256:l": "Tue, 18 Sep 2018 20:20:50 GMT"},
        head_sizes={"sha256:l": 7},
        head_types={"sha256:l": oci.FOREIGN_LAYER},
    )
    assert image.layers == (
        Layer("sha256:l", 7, oci.FOREIGN_LAYER, "Tue, 18 Sep 2018 20:20:50 GMT", ("http://x/l",)),
    )
    assert image.shell == ("cmd", "/S", "/C")
    assert image.history == (HistoryEntry(None, "x"),)
