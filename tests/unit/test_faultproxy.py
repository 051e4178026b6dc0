"""The fault-injecting proxy itself (tests/faultproxy.py), in front of a small loopback upstream.

Each fault is checked as a client sees it (status and ``Retry-After``, a reset, a body shorter
than its ``Content-Length``, a stall), and so are the choice of requests (script, rules, a
seeded rate that does not depend on the order of requests), the counters, answer rewriting and
a chunked request body. The upstream is a stand-in HTTP server (a fake, named as such): the real
registry behind the proxy is the integration tests' business.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import requests

from tests.fakes.http import Quiet, serving
from tests.faultproxy import ENGINE, PRODUCT, FaultProxy, Plan, Rule, Tamper, fault_proxy

BODY = b"0123456789" * 100


class FakeUpstream(Quiet, BaseHTTPRequestHandler):
    """A stand-in upstream (a fake): GET/HEAD answer BODY, PUT echoes its body's length."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []  # noqa: RUF012 - shared by design: what the upstream was asked

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Content-Digest", "sha256:abc")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        FakeUpstream.seen.append(f"{self.command} {self.path}")
        self._answer(BODY)

    do_HEAD = do_GET

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length)
        FakeUpstream.seen.append(f"PUT {self.path} {len(data)}")
        self._answer(json.dumps({"received": len(data)}).encode())


@pytest.fixture
def upstream() -> Iterator[str]:
    FakeUpstream.seen = []
    with serving(FakeUpstream, poll=0.02) as port:
        yield f"127.0.0.1:{port}"


@pytest.fixture
def proxy(upstream: str) -> Iterator[FaultProxy]:
    with fault_proxy(upstream, timeout=5) as p:
        yield p


def get(proxy: FaultProxy, path: str = "/v2/x", **kw: Any) -> requests.Response:
    return requests.get(f"http://{proxy.host}{path}", timeout=kw.pop("timeout", 5), **kw)


def test_without_faults_answers_are_forwarded_as_they_are(proxy: FaultProxy) -> None:
    answer = get(proxy)
    assert answer.status_code == 200 and answer.content == BODY
    assert answer.headers["Docker-Content-Digest"] == "sha256:abc"
    head = requests.head(f"http://{proxy.host}/v2/x", timeout=5)
    assert head.headers["Content-Length"] == str(len(BODY)) and head.content == b""
    assert proxy.stats().requests == 2 and proxy.stats().injected == 0
    assert FakeUpstream.seen == ["GET /v2/x", "HEAD /v2/x"]


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_status_faults_answer_without_asking_the_upstream(proxy: FaultProxy, status: int) -> None:
    proxy.use(Plan(script={1: str(status)}, retry_after=3))
    answer = get(proxy)
    assert answer.status_code == status
    assert (answer.headers.get("Retry-After") == "3") is (status == 429)
    assert FakeUpstream.seen == []
    assert get(proxy).status_code == 200  # only request 1 was scripted
    assert proxy.stats().faults == {str(status): 1}


def test_reset_cuts_the_connection_mid_body(proxy: FaultProxy) -> None:
    proxy.use(Plan(script={1: "reset", 2: "reset"}))
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="reset by peer"):
        get(proxy)
    with pytest.raises(requests.exceptions.ConnectionError):  # no body: reset before the head
        requests.head(f"http://{proxy.host}/v2/x", timeout=5)
    assert FakeUpstream.seen == ["GET /v2/x", "HEAD /v2/x"]  # forwarded, then cut


def test_truncate_sends_less_than_the_content_length_promises(proxy: FaultProxy) -> None:
    proxy.use(Plan(rules=(Rule("truncate", "GET"),)))
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
    conn.request("GET", "/v2/x")
    answer = conn.getresponse()
    assert answer.getheader("Content-Length") == str(len(BODY))
    with pytest.raises(http.client.IncompleteRead) as cut:
        answer.read()
    assert cut.value.partial == BODY[: len(BODY) // 2]
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(proxy)


def test_a_stall_holds_the_client_until_its_timeout_and_is_released_on_stop(
    upstream: str,
) -> None:
    with fault_proxy(upstream, Plan(rules=(Rule("stall", path="/v2/x"),))) as p:
        started = time.monotonic()
        with pytest.raises(requests.exceptions.ReadTimeout):
            get(p, timeout=0.5)
        assert 0.5 <= time.monotonic() - started < 2
        # A stalled request still holding its connection when the proxy stops.
        held = socket.create_connection(("127.0.0.1", p.port), timeout=5)
        held.sendall(b"GET /v2/x HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 3
    assert held.recv(100) == b""  # closed without an answer
    held.close()
    assert p.stats().faults == {"stall": 2}


def test_a_seeded_rate_fails_the_same_requests_whatever_their_order(upstream: str) -> None:
    paths = [f"/v2/r/manifests/t{i}" for i in range(60)]

    def faulted(order: list[str]) -> set[str]:
        with fault_proxy(upstream, Plan(rate=0.3, seed=7)) as p:
            for path in order:
                with contextlib.suppress(requests.RequestException):
                    get(p, path, timeout=0.5)
            return {r.path for r in p.stats().records if r.fault}

    forward, backward = faulted(paths), faulted(paths[::-1])
    assert forward == backward
    assert 8 <= len(forward) <= 30  # about 30% of 60
    with fault_proxy(upstream, Plan(rate=1.0, seed=1, kinds=("503",))) as p:
        assert all(get(p, path).status_code == 503 for path in paths[:5])
        assert p.stats().summary() == "5 requests, 5 faults injected (503 5)"


def test_a_rule_fails_its_requests_a_number_of_times_or_always(proxy: FaultProxy) -> None:
    proxy.use(Plan(rules=(Rule("503", "GET", r"/manifests/", times=2), Rule("500", "PUT"))))
    codes = [get(proxy, "/v2/r/manifests/a").status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    put = requests.put(f"http://{proxy.host}/v2/r/manifests/a", data=b"x", timeout=5)
    assert put.status_code == 500
    assert [r.fault for r in proxy.stats().failed("GET", "/manifests/")] == ["503", "503"]


def test_tampers_rewrite_the_real_answer(proxy: FaultProxy) -> None:
    proxy.use(
        Plan(
            tampers=(
                Tamper(
                    "GET",
                    r"/v2/x$",
                    body=lambda b: b"{not json",
                    headers={"Docker-Content-Digest": None, "Content-Type": "text/html"},
                ),
            )
        )
    )
    answer = get(proxy)
    assert answer.content == b"{not json" and "Docker-Content-Digest" not in answer.headers
    assert answer.headers["Content-Type"] == "text/html"
    assert FakeUpstream.seen == ["GET /v2/x"]


def test_a_chunked_request_body_reaches_the_upstream_whole(proxy: FaultProxy) -> None:
    data = [b"a" * 1000, b"b" * 2000, b"c"]
    answer = requests.put(f"http://{proxy.host}/v2/up", data=iter(data), timeout=5)
    assert answer.json() == {"received": 3001}
    assert FakeUpstream.seen == ["PUT /v2/up 3001"]


def test_unknown_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown faults"):
        Plan(script={1: "explode"})


def test_rules_and_the_random_share_can_pick_a_client_by_its_user_agent(
    proxy: FaultProxy,
) -> None:
    proxy.use(Plan(rate=1.0, kinds=("500",), agent=PRODUCT, rules=(Rule("503", agent=ENGINE),)))
    engine = {"User-Agent": "docker/20.10.24+dfsg1 go/go1.19.8"}
    assert get(proxy, headers=engine).status_code == 503
    assert get(proxy, headers={"User-Agent": "orchestrate"}).status_code == 500
    assert get(proxy, headers={"User-Agent": "curl/8"}).status_code == 200
    assert proxy.stats().by(ENGINE).summary() == "1 requests, 1 faults injected (503 1)"
