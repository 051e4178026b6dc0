"""What the build's registry view relies on to pick a base image's platform entry."""

from __future__ import annotations


def test_platform_matches() -> None:
    from orchestrator import platforms
    from orchestrator.platforms import ARCHES

    arm64 = ARCHES["arm64v8"].platform
    assert platforms.matches({"os": "linux", "architecture": "arm64"}, arm64)
    assert platforms.matches({"os": "linux", "architecture": "arm64", "variant": "v8"}, arm64)
    arm7 = ARCHES["arm32v7"].platform
    assert not platforms.matches({"os": "linux", "architecture": "arm", "variant": "v6"}, arm7)
    win = ARCHES["windows-amd64"].platform.with_os_version("10.0.17763.615")
    assert not platforms.matches(
        {"os": "windows", "architecture": "amd64", "os.version": "10.0.14393.3085"}, win
    )
