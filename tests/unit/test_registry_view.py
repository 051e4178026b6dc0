"""The build's view of the registry: where a parent is looked up, and the platform matching it
relies on to pick a base image's entry."""

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


def test_docker_hub_parents_go_to_the_mirror() -> None:
    from orchestrator.registry.view import BuildRegistry

    mirrored = BuildRegistry(hub_mirror="localhost:5000").parent_ref("debian:bookworm-slim")
    assert (mirrored.registry, mirrored.repository) == ("localhost:5000", "library/debian")
    own = BuildRegistry(hub_mirror="localhost:5000").parent_ref("ghcr.io/a/b:1")
    assert (own.registry, own.repository) == ("ghcr.io", "a/b")
    hub = BuildRegistry(hub_mirror=None).parent_ref("debian:bookworm-slim")
    assert hub.registry == "registry-1.docker.io"
