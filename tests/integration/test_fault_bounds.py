"""Above the bound: a request that always fails, a registry failing every request, a registry
that stalls and one that refuses connections, behind the fault proxy (``tests/faultproxy.py``)
in front of the farm's real registry.

The run fails with a documented exit code (3: a service failed) and a message naming the failing
request (method and URL), in bounded time, without a traceback, and publishes nothing partial:
every tag the registry holds afterwards names a whole list whose manifests all exist. The time
to give up on a stalled and on a refused registry is measured (printed as ``FIGURE`` lines; run
with ``-s``): with fast timeouts here (``ORCHESTRATE_REGISTRY_TIMEOUTS``), with the defaults in
the ``slow`` test.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator import registry
from orchestrator.registry import timeouts
from tests.faultproxy import FaultProxy, Plan, Rule, fault_proxy
from tests.integration.faultrun import (
    FAST,
    TAGS,
    VERSION,
    Run,
    assert_clean_failure,
    check_complete,
    family_root,
    orchestrate,
    push_release,
    run_id,
    tags_of,
)

RUN = run_id()
ARCHES = ("amd64", "i386")
FAST_ENV = {timeouts.ENV: FAST}
# Python start-up and the command's own work, on a busy 2-core machine.
SLACK = 4.0


@pytest.fixture(scope="module")
def upstream(farm: Any) -> str:
    return str(farm.registry_url).removeprefix("http://")


@pytest.fixture
def proxy(upstream: str) -> Iterator[FaultProxy]:
    with fault_proxy(upstream) as p:
        yield p


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return family_root(tmp_path_factory.mktemp("bounds"), ARCHES)


def release(farm: Any, host: str, name: str, tmp: Path) -> tuple[registry.Client, str, Path]:
    """Two images in a repository of their own (a list tagged ``good`` too), and a results file
    naming them in ``host``/repository."""
    repo = f"test11-faults-{RUN}/{name}"
    direct = registry.Client(str(farm.registry))
    push_release(direct, repo, ARCHES, tmp / "results.json", host=host, tag="good")
    return direct, repo, tmp / "results.json"


def figure(what: str, run: Run) -> None:
    print(f"FIGURE {what}: exit {run.code} after {run.seconds:.1f} s: {run.error.splitlines()[0]}")


def test_a_request_that_always_fails_is_named_and_the_lists_before_it_stay_whole(
    farm: Any, proxy: FaultProxy, root: Path, tmp_path: Path
) -> None:
    direct, repo, results = release(farm, proxy.host, "always", tmp_path)
    proxy.use(Plan(rules=(Rule("503", "PUT", "/manifests/3.11.2$"),)))
    run = orchestrate(root, "manifest", VERSION, "--results", str(results), env=FAST_ENV)
    assert_clean_failure(
        run,
        3,
        f"tag 3.11.2: PUT http://{proxy.host}/v2/{repo}/manifests/3.11.2: HTTP 503 "
        "(UNAVAILABLE: service unavailable); gave up after ",
        "lists published before it: 3.11.2-tiny, 3.11-tiny; not published: 3.11.2, 3.11 (their "
        "previous lists are unchanged)",
    )
    assert len(proxy.stats().failed("PUT", "/manifests/3.11.2$")) >= 2  # retried, then given up
    assert run.seconds < 3 + SLACK
    figure("always-failing PUT (manifest)", run)
    lists = check_complete(direct, repo, platforms=len(ARCHES))
    assert sorted(lists) == ["3.11-tiny", "3.11.2-tiny", "good"]
    # The same command once the registry is well again publishes the rest.
    proxy.use(Plan())
    again = orchestrate(root, "manifest", VERSION, "--results", str(results))
    assert again.code == 0 and again.stdout.count("unchanged") == 2, again.show()
    assert sorted(check_complete(direct, repo, platforms=len(ARCHES))) == sorted([*TAGS, "good"])


@pytest.mark.parametrize("command", ["manifest", "report", "build"])
def test_a_registry_failing_every_request_fails_the_run_naming_the_request(
    farm: Any, proxy: FaultProxy, root: Path, tmp_path: Path, command: str
) -> None:
    direct, repo, results = release(farm, proxy.host, f"every-{command}", tmp_path)
    proxy.use(Plan(rate=1.0, seed=11))
    args = {
        "manifest": ("manifest", VERSION, "--results", str(results)),
        "report": ("report", f"{proxy.host}/{repo}:good"),
        "build": ("build", VERSION, "--registry", proxy.host, "--repository", repo),
    }[command]
    run = orchestrate(root, *args, env=FAST_ENV, timeout=120)
    assert_clean_failure(run, 3, f"http://{proxy.host}/v2/", "gave up after ")
    assert run.seconds < 10 + SLACK  # the build probe's budget is 10 s at most
    figure(f"every request failing ({command})", run)
    if command == "manifest":
        assert "nothing was published" in run.error
    if command == "build":
        assert not [e for e in run.events if e.get("event") == "job.building"]
    assert proxy.stats().requests == proxy.stats().injected > 0
    assert tags_of(direct, repo) == ["good"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def give_up(
    farm: Any, upstream: str, tmp: Path, command: str, how: str, env: dict[str, str]
) -> tuple[Run, str]:
    """``command`` against a registry that stalls every request (``how="stall"``) or refuses
    every connection (``"refused"``)."""
    root = family_root(tmp / "root", ARCHES)
    with fault_proxy(upstream, Plan(rules=(Rule("stall"),))) as proxy:
        host = proxy.host if how == "stall" else f"127.0.0.1:{free_port()}"
        _, repo, results = release(farm, host, f"{how}-{command}-{tmp.name}", tmp)
        args = {
            "manifest": ("manifest", VERSION, "--results", str(results)),
            "report": ("report", f"{host}/{repo}:good"),
            "build": ("build", VERSION, "--registry", host, "--repository", repo),
        }[command]
        run = orchestrate(root, *args, env=env, timeout=300)
    return run, host


@pytest.mark.parametrize("command", ["report", "manifest", "build"])
def test_a_stalled_registry_is_given_up_on_within_the_total(
    farm: Any, upstream: str, tmp_path: Path, command: str
) -> None:
    run, host = give_up(farm, upstream, tmp_path, command, "stall", FAST_ENV)
    assert_clean_failure(run, 3, f"http://{host}/v2/", "s (read timeout); gave up after ")
    assert run.seconds < 3 + SLACK
    figure(f"stalled registry, {FAST} ({command})", run)


@pytest.mark.parametrize("command", ["report", "manifest", "build"])
def test_a_refused_connection_is_given_up_on_within_unreachable(
    farm: Any, upstream: str, tmp_path: Path, command: str
) -> None:
    run, host = give_up(farm, upstream, tmp_path, command, "refused", FAST_ENV)
    assert_clean_failure(run, 3, f"http://{host}/v2/", "connection refused; gave up after ")
    assert run.seconds < 1 + SLACK
    figure(f"refused connection, {FAST} ({command})", run)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["stall", "refused"])
@pytest.mark.parametrize("command", ["report", "manifest", "build"])
def test_with_the_default_timeouts(
    farm: Any, upstream: str, tmp_path: Path, command: str, how: str
) -> None:
    """The documented figures: a stalled registry is given up on after 30 s (the build's probe:
    10 s), a refused one after 5 s at most."""
    run, host = give_up(farm, upstream, tmp_path, command, how, {timeouts.ENV: ""})
    assert_clean_failure(run, 3, f"http://{host}/v2/", "gave up after ")
    budget = timeouts.Timeouts()
    limit = budget.unreachable if how == "refused" else budget.total
    if command == "build" and how == "stall":
        limit = 10
    assert run.seconds < limit + SLACK
    figure(f"{how}, default timeouts ({command})", run)
