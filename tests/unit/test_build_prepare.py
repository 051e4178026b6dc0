"""Steps of ``prepare`` alone: the build network, routes, preflight."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from orchestrator.build import planjob, prepare
from orchestrator.build.options import PYTHON_ORG
from orchestrator.buildx import DEFAULT_ROUTE, Route
from orchestrator.errors import CommandFailed, ConfigError
from orchestrator.plan import Plan
from tests.unit.build_fakes import FakeRegistry, job


def test_network() -> None:
    assert planjob.network_for((("PYTHON_DOWNLOAD_BASE", "http://127.0.0.1:8088/x"),)) == "host"
    assert planjob.network_for((("PYTHON_DOWNLOAD_BASE", "http://localhost/x"),)) == "host"
    assert planjob.network_for((("PYTHON_DOWNLOAD_BASE", PYTHON_ORG),)) is None
    assert planjob.network_for(()) is None


def test_resolve_routes() -> None:
    plan = Plan("3.13.5", "3.13", (job("amd64"), job("windows-amd64", "ws")), (), ())
    routes, skipped = prepare.resolve_routes(plan, {})
    assert routes == {"3.13.5-bookworm-amd64": DEFAULT_ROUTE}
    assert skipped == {"3.13.5-ws-windows-amd64": "not built: no Windows builder"}
    routes, skipped = prepare.resolve_routes(
        plan, {"amd64": "d2", "windows-amd64": "win"}, contexts=["default", "d2"], builders=["win"]
    )
    assert routes["3.13.5-bookworm-amd64"] == Route(context="d2")
    assert routes["3.13.5-ws-windows-amd64"] == Route(builder="win")
    with pytest.raises(ConfigError, match="amd64: builder 'nope'"):
        prepare.resolve_routes(plan, {"amd64": "nope"})


def test_preflight_reports_unreachable_and_unable_builders() -> None:
    plan = Plan("3.13.5", "3.13", (job("amd64"), job("riscv64" if False else "s390x")), (), ())
    routes = {
        "3.13.5-bookworm-amd64": Route(context="down"),
        "3.13.5-bookworm-s390x": DEFAULT_ROUTE,
    }

    def platforms_of(route: Route) -> Sequence[str]:
        if route.context == "down":
            raise CommandFailed(["docker"], 1, "Cannot connect to the Docker daemon")
        return ("linux/amd64",)

    pre = prepare.preflight(plan, routes, platforms_of=platforms_of, registry=FakeRegistry())
    assert pre.blocked == {
        "3.13.5-bookworm-amd64": (
            "context down does not answer: command failed with exit code 1: docker"
        ),
        "3.13.5-bookworm-s390x": "default builder cannot build linux/s390x (it has linux/amd64)",
    }
    assert pre.parents == {}
