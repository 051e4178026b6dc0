"""The time budget of one registry operation: the policy's deadlines (on a fake clock), the
timeouts and their environment variable, and the client giving up on a stalled or refused
registry within them, saying which request failed, after how many attempts and how long.

The stalled registry is the fake registry (``tests/fakes/registry.py``, a fake) behind the
fault proxy (``tests/faultproxy.py``); the refused one is a port nobody listens on.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from orchestrator import oci, registry, retrying
from orchestrator.errors import ConfigError, RegistryError
from orchestrator.registry import timeouts
from orchestrator.registry.timeouts import Timeouts
from tests.fakes import registry as registry_fake
from tests.fakes.registry import FakeRegistry
from tests.faultproxy import FaultProxy, Plan, Rule, fault_proxy

fake = registry_fake.fake  # the fixture


class FakeClock:
    """A clock that moves only when the code under test sleeps (a fake, named as such)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def failing(exc: BaseException, calls: list[int]) -> Callable[[], None]:
    def fn() -> None:
        calls.append(1)
        raise exc

    return fn


def test_a_deadline_ends_the_retries_before_a_wait_that_would_pass_it() -> None:
    clock, calls = FakeClock(), list[int]()
    policy = retrying.Policy(attempts=10, initial=1, maximum=100, jitter=0, deadline=10)
    with pytest.raises(RegistryError):
        retrying.call(
            failing(RegistryError("busy", 503), calls),
            policy=policy,
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.slept == [1, 2, 4]  # 1+2+4 = 7; another 8 would end at 15 > 10
    assert len(calls) == 4


def test_a_retry_after_beyond_the_deadline_is_not_waited_for() -> None:
    clock, calls = FakeClock(), list[int]()
    policy = retrying.Policy(deadline=30)
    with pytest.raises(RegistryError):
        retrying.call(
            failing(RegistryError("slow down", 429, retry_after=60), calls),
            policy=policy,
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.slept == [] and len(calls) == 1


def test_an_unreachable_host_is_given_up_on_sooner_than_one_that_answers() -> None:
    policy = retrying.Policy(
        attempts=10, initial=1, maximum=100, jitter=0, deadline=30, unreachable_deadline=5
    )
    refused, busy = FakeClock(), FakeClock()
    with pytest.raises(ConnectionRefusedError):
        retrying.call(
            failing(ConnectionRefusedError(), []),
            policy=policy,
            sleep=refused.sleep,
            clock=refused,
        )
    with pytest.raises(ConnectionResetError):
        retrying.call(
            failing(ConnectionResetError(), []),
            policy=policy,
            sleep=busy.sleep,
            clock=busy,
        )
    assert refused.slept == [1, 2] and busy.slept == [1, 2, 4, 8]


def test_what_counts_as_unreachable() -> None:
    try:
        requests.get(f"http://127.0.0.1:{free_port()}/", timeout=2)
    except requests.RequestException as exc:
        assert retrying.is_unreachable(exc)
    assert retrying.is_unreachable(requests.exceptions.ConnectTimeout("slow"))
    assert not retrying.is_unreachable(requests.exceptions.ReadTimeout("slow"))
    assert not retrying.is_unreachable(ConnectionResetError())
    assert not retrying.is_unreachable(RegistryError("x", 503))


def test_timeouts_default_and_from_the_environment() -> None:
    assert timeouts.from_env({}) == Timeouts(connect=5, read=15, total=30, unreachable=5)
    got = timeouts.from_env({timeouts.ENV: " read=2, total=7.5 "})
    assert got == Timeouts(connect=5, read=2, total=7.5, unreachable=5)
    assert got.describe() == "connect=5,read=2,total=7.5,unreachable=5"
    assert got.attempt(100) == (5, 2) and got.attempt(1.5) == (1.5, 1.5)
    assert got.attempt(-3) == (0.1, 0.1)
    policy = got.policy(retrying.Policy(deadline=3))
    assert (policy.deadline, policy.unreachable_deadline) == (3, 5)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("read", "'read' is not KEY=SECONDS with KEY one of connect, read, total, unreachable"),
        ("reed=3", "'reed=3' is not KEY=SECONDS"),
        ("total=0", "total='0' is not a number of seconds"),
        ("total=-1", "total='-1' is not a number of seconds"),
        ("total=nan", "total='nan' is not a number"),
        ("total=inf", "total='inf' is not a number"),
        ("read=1e9", "read='1e9' is not a number of seconds (more than 0, at most 3600)"),
        ("read=\n", "read='' is not a number"),
    ],
)
def test_bad_timeouts_name_the_variable(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        timeouts.from_env({timeouts.ENV: value})
    assert str(info.value).startswith(f"{timeouts.ENV}: ") and message in str(info.value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def stalling(fake: FakeRegistry) -> Iterator[FaultProxy]:
    """The fake registry behind a proxy that never answers a manifest GET."""
    fake.manifests[("r", "t")] = (b"{}", oci.MANIFEST_V2)
    with fault_proxy(fake.host, Plan(rules=(Rule("stall", "GET", "/manifests/"),))) as proxy:
        yield proxy


def test_a_stalled_registry_is_given_up_on_within_the_total(stalling: FaultProxy) -> None:
    budget = Timeouts(connect=1, read=0.6, total=1.5, unreachable=1)
    policy = retrying.Policy(initial=0.2, jitter=0)  # 0.6 s, wait 0.2, 0.6 s: no time for more
    client = registry.Client(stalling.host, policy=policy, timeouts=budget, load_credentials=False)
    started = time.monotonic()
    with pytest.raises(RegistryError) as info:
        client.get_manifest("r", "t")
    took = time.monotonic() - started
    assert 1.3 <= took < 2.5
    message = str(info.value)
    assert message.startswith(f"GET http://{stalling.host}/v2/r/manifests/t: no answer within ")
    assert "(read timeout); gave up after 2 attempts in 1." in message
    assert f"{timeouts.ENV} changes them" in message
    assert stalling.stats().faults == {"stall": 2}


def test_a_refused_connection_is_given_up_on_within_unreachable() -> None:
    port = free_port()
    budget = Timeouts(connect=1, read=1, total=30, unreachable=1)
    policy = retrying.Policy(initial=0.2, jitter=0)
    client = registry.Client(f"127.0.0.1:{port}", policy=policy, timeouts=budget)
    started = time.monotonic()
    with pytest.raises(RegistryError) as info:
        client.head_manifest("r", "t")
    assert time.monotonic() - started < 1.5
    assert str(info.value).startswith(
        f"HEAD http://127.0.0.1:{port}/v2/r/manifests/t: connection refused; gave up after 3 "
    )
    assert info.value.status is None and retrying.is_transient(info.value)


def test_a_permanent_failure_is_not_said_to_be_given_up_on(fake: FakeRegistry) -> None:
    client = registry.Client(fake.host, load_credentials=False)
    with pytest.raises(RegistryError) as info:
        client.get_manifest("r", "missing")
    assert str(info.value) == (
        f"GET http://{fake.host}/v2/r/manifests/missing: HTTP 404 (MANIFEST_UNKNOWN: no)"
    )


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("reset", "connection reset by the registry"),
        ("truncate", "the answer was cut short (1 bytes read, 1 more expected)"),
        ("502", "HTTP 502 (502 Bad Gateway)"),
        ("503", "HTTP 503 (UNAVAILABLE: service unavailable)"),
    ],
)
def test_network_failures_and_error_pages_in_plain_words(
    fake: FakeRegistry, fault: str, words: str
) -> None:
    fake.manifests[("r", "t")] = (b"{}", oci.MANIFEST_V2)
    with fault_proxy(fake.host, Plan(rules=(Rule(fault),))) as proxy:
        client = registry.Client(
            proxy.host, policy=retrying.Policy(attempts=1), load_credentials=False
        )
        with pytest.raises(RegistryError) as info:
            client.get_manifest("r", "t")
    assert str(info.value).startswith(f"GET http://{proxy.host}/v2/r/manifests/t: {words}; ")
