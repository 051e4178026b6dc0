"""The buildx edge: argv builders, routes, and parsing of what docker printed (recorded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator import buildx, proc
from orchestrator.buildx import DEFAULT_ROUTE, Route
from orchestrator.errors import CommandFailed, ConfigError
from orchestrator.platforms import ARCHES, Platform, builder_can_build

DATA = Path(__file__).resolve().parent.parent / "data" / "build"
ARM64 = ARCHES["arm64v8"].platform


def test_build_argv_default_route_loads_under_the_key_tag() -> None:
    argv = buildx.build_argv(
        route=buildx.DEFAULT_ROUTE,
        platform=ARM64,
        dockerfile=Path("/r/dockerfiles/3.13/bookworm/Dockerfile"),
        context=Path("/r/dockerfiles/3.13/bookworm"),
        tag="localhost:5000/python:build-0123456789ab-arm64v8",
        build_args=(("PYTHON_BUILD_PROFILE", "quick"), ("PYTHON_DOWNLOAD_BASE", "http://x/")),
        labels=(("io.orchestrate.content-key", "k"),),
        network="host",
    )
    assert argv == [
        "docker", "buildx", "build",
        "--platform", "linux/arm64/v8",
        "--file", "/r/dockerfiles/3.13/bookworm/Dockerfile",
        "--progress", "plain",
        "--build-arg", "PYTHON_BUILD_PROFILE=quick",
        "--build-arg", "PYTHON_DOWNLOAD_BASE=http://x/",
        "--label", "io.orchestrate.content-key=k",
        "--network", "host",
        "--tag", "localhost:5000/python:build-0123456789ab-arm64v8",
        "--load",
        "--provenance=false",
        "/r/dockerfiles/3.13/bookworm",
    ]  # fmt: skip


def test_build_argv_routes_to_a_context_or_a_builder() -> None:
    common: dict[str, Any] = {
        "platform": Platform("linux", "386"),
        "dockerfile": Path("D"),
        "context": Path("."),
    }
    on_context = buildx.build_argv(route=Route(context="d2"), **common)
    assert on_context[:5] == ["docker", "--context", "d2", "buildx", "build"]
    assert "--builder" not in on_context
    on_builder = buildx.build_argv(route=Route(builder="arm-node"), **common)
    assert on_builder[:5] == ["docker", "buildx", "build", "--builder", "arm-node"]
    assert "--no-cache" not in on_builder
    assert "--no-cache" in buildx.build_argv(route=DEFAULT_ROUTE, no_cache=True, **common)


def test_push_and_inspect_argv() -> None:
    assert buildx.push_argv(Route(context="d2"), "r:t") == [
        "docker",
        "--context",
        "d2",
        "push",
        "r:t",
    ]
    assert buildx.inspect_builder_argv(Route(builder="b")) == ["docker", "buildx", "inspect", "b"]
    assert buildx.inspect_builder_argv(buildx.DEFAULT_ROUTE) == ["docker", "buildx", "inspect"]


def test_parse_route() -> None:
    assert buildx.parse_route(None) == buildx.DEFAULT_ROUTE
    assert buildx.parse_route("default") == buildx.DEFAULT_ROUTE
    assert buildx.parse_route("context:d2") == Route(context="d2")
    assert buildx.parse_route("builder:x") == Route(builder="x")
    assert buildx.parse_route("d2", contexts=["default", "d2"]) == Route(context="d2")
    assert buildx.parse_route("arm", builders=["default", "arm"]) == Route(builder="arm")
    with pytest.raises(ConfigError, match=r"'engine3': no docker context .*mean 'engine2'"):
        buildx.parse_route("engine3", contexts=["engine2"])
    with pytest.raises(ConfigError, match="empty name"):
        buildx.parse_route("context:")


def test_builder_overrides_report_every_problem() -> None:
    arches = list(ARCHES)
    assert buildx.parse_builder_overrides(["arm64v8=d2"], arches) == {"arm64v8": "d2"}
    with pytest.raises(ConfigError) as info:
        buildx.parse_builder_overrides(["arm64=d2", "nonsense", "i386="], arches)
    assert info.value.problems == (
        "--builder 'arm64=d2': unknown architecture 'arm64' (did you mean 'arm64v8'?)",
        "--builder 'nonsense': expected ARCH=NAME",
        "--builder 'i386=': expected ARCH=NAME",
    )


def test_push_digest_from_recorded_output() -> None:
    text = (DATA / "docker-push.txt").read_text()
    digest = buildx.parse_push_digest(text)
    assert digest == "sha256:34d81351b0dfee84294ba8ddf9cf33fc58a2bd43d1b6b38db1c52724754f703b"
    with pytest.raises(ConfigError):
        buildx.parse_push_digest("The push refers to repository [x]\n")


def test_push_runner_fails_when_no_digest_was_printed(tmp_path: Path) -> None:
    def fake(argv: Any, **kw: Any) -> proc.Completed:
        return proc.Completed(tuple(argv), 0, "pushed nothing\n", "", 0.1)

    with pytest.raises(CommandFailed, match="printed no"):
        buildx.push(buildx.DEFAULT_ROUTE, "r:t", log_file=tmp_path / "l", runner=fake)


def test_builder_platforms_from_recorded_inspect() -> None:
    platforms = buildx.parse_builder_platforms((DATA / "buildx-inspect-default.txt").read_text())
    assert platforms[:2] == ("linux/amd64", "linux/386")
    assert "linux/arm/v7" in platforms
    for arch in ("amd64", "i386", "arm64v8", "arm32v7", "arm32v6", "arm32v5", "ppc64le", "s390x"):
        assert builder_can_build(platforms, ARCHES[arch].platform), arch
    assert not builder_can_build(platforms, Platform("linux", "riscv64"))
    assert not builder_can_build(platforms, ARCHES["windows-amd64"].platform)


def test_builder_names_from_recorded_ls() -> None:
    text = (DATA / "buildx-ls.txt").read_text()

    def fake(argv: Any, **kw: Any) -> proc.Completed:
        return proc.Completed(tuple(argv), 0, text, "", 0.1)

    assert buildx.list_builders(runner=fake) == ("default",)


def test_the_engines_buildkit_cannot_push_by_digest() -> None:
    # Recorded: why the pipeline loads, smoke-tests, then `docker push`es under the key tag.
    text = (DATA / "push-by-digest-docker-driver.txt").read_text()
    assert "push-by-digest is currently not implemented for docker driver" in text
