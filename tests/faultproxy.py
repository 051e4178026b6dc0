"""A fault-injecting HTTP proxy for tests: loopback only, in front of a real registry.

``fault_proxy(upstream)`` listens on 127.0.0.1 (a free port) and forwards every request to
``upstream`` (``127.0.0.1:5000``, the farm's plain-HTTP registry), keeping the ``Host`` header so
the registry's ``Location`` answers point back at the proxy. Its ``Plan`` decides, per request,
whether to answer it badly instead:

- ``500``, ``502``, ``503``: that status, without forwarding the request;
- ``429``: Too Many Requests with ``Retry-After`` (``Plan.retry_after`` seconds), not forwarded;
- ``reset``: the request is forwarded, then the connection is reset (RST) halfway through the
  answer's body (before the status line when the answer has no body);
- ``truncate``: forwarded; the answer claims its full ``Content-Length`` but only half the body
  is sent before the connection is closed (half the header block when there is no body);
- ``stall``: the request is read and never answered (the connection is held open until the
  client gives up, ``Plan.stall_seconds`` pass, or the proxy stops).

Which requests, and how the answers are rewritten: ``tests/faultplan.py`` (``Plan``, ``Rule``,
``Tamper``); ``FaultProxy.stats()`` counts requests and injected faults.

Every socket has a timeout, and stopping the proxy releases stalled requests: the proxy never
hangs a test. Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import signal
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.faultplan import (
    ENGINE,
    FAULTS,
    PRODUCT,
    STATUS_FAULTS,
    TRANSIENT,
    Chooser,
    Plan,
    Record,
    Rule,
    Stats,
    Tamper,
)

__all__ = [
    "ENGINE",
    "FAULTS",
    "PRODUCT",
    "TRANSIENT",
    "FaultProxy",
    "Plan",
    "Record",
    "Rule",
    "Stats",
    "Tamper",
    "fault_proxy",
]

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
# What real servers send: the distribution registry's own 500, 503 and 429 (its JSON error
# codes), and the HTML of a reverse proxy in front of it for 502.
_ANSWERS = {
    500: ("application/json", '{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}'),
    502: (
        "text/html",
        "<html><head><title>502 Bad Gateway</title></head><body>"
        "<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
    ),
    503: (
        "application/json",
        '{"errors":[{"code":"UNAVAILABLE","message":"service unavailable"}]}',
    ),
    429: (
        "application/json",
        '{"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests"}]}',
    ),
}


class FaultProxy(Chooser):
    """The proxy: where it listens, what it forwards to, and (``Chooser``) its plan, counters
    and records."""

    def __init__(self, upstream: str, plan: Plan, *, timeout: float = 60.0) -> None:
        super().__init__(plan)
        self.upstream = upstream
        self.timeout = timeout
        self.port = 0
        self.stopping = threading.Event()

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: a loopback registry host (plain HTTP for the product and for the
        engine, which trusts 127.0.0.0/8 as an insecure registry by default)."""
        return f"127.0.0.1:{self.port}"


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = proxy.timeout  # every client socket: a silent client never holds a thread

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _body(self) -> bytes | None:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline().strip():
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = self.headers.get("Content-Length")
            return self.rfile.read(int(length)) if length else None

        def _forward(self, body: bytes | None) -> tuple[int, list[tuple[str, str]], bytes]:
            host, _, port = proxy.upstream.rpartition(":")
            upstream = http.client.HTTPConnection(host, int(port), timeout=proxy.timeout)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                if body is not None or self.command in ("PUT", "POST", "PATCH"):
                    headers["Content-Length"] = str(len(body or b""))
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                return answer.status, answer.getheaders(), payload
            except OSError as exc:
                error = json.dumps({"errors": [{"code": "PROXY", "message": str(exc)}]})
                return 502, [("Content-Type", "application/json")], error.encode()
            finally:
                upstream.close()

        def _head_block(self, status: int, headers: list[tuple[str, str]], length: str) -> bytes:
            lines = [f"HTTP/1.1 {status} {http.client.responses.get(status, '')}"]
            lines += [f"{k}: {v}" for k, v in headers if k.lower() not in _HOP_BY_HOP]
            lines += [
                f"Content-Length: {length}",
                "Connection: close" if self.close_connection else "",
            ]
            return ("\r\n".join(x for x in lines if x) + "\r\n\r\n").encode("latin-1")

        def _reset(self) -> None:
            """Abort the connection: an RST, not a FIN."""
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()

        def _proxy(self) -> None:
            path = urlsplit(self.path).path
            body = self._body()
            agent = self.headers.get("User-Agent", "")
            number, fault, plan = proxy.decide(self.command, path, agent)
            if fault == "stall":
                self.close_connection = True
                proxy.stopping.wait(plan.stall_seconds)
                proxy.done(number, None)
                return
            if fault in STATUS_FAULTS:
                status = int(fault)
                kind, text = _ANSWERS[status]
                extra = [("Retry-After", str(plan.retry_after))] if status == 429 else []
                self._send(status, [("Content-Type", kind), *extra], text.encode())
                proxy.done(number, status)
                return
            status, headers, payload = self._forward(body)
            for tamper in plan.tampers:
                if tamper.matches(self.command, path):
                    status, headers, payload = _tampered(tamper, status, headers, payload)
            length = next((v for k, v in headers if k.lower() == "content-length"), "0")
            has_body = self.command != "HEAD" and bool(payload)
            if fault == "reset":
                if has_body:
                    self.close_connection = True
                    head = self._head_block(status, headers, str(len(payload)))
                    self.wfile.write(head + payload[: len(payload) // 2])
                    self.wfile.flush()
                    proxy.stopping.wait(0.05)  # the client reads the head first
                self._reset()
                proxy.done(number, status if has_body else None)
                return
            if fault == "truncate":
                self.close_connection = True
                full = str(len(payload)) if self.command != "HEAD" else length
                head = self._head_block(status, headers, full)
                self.wfile.write(
                    head + payload[: len(payload) // 2] if has_body else head[: len(head) // 2]
                )
                proxy.done(number, status if has_body else None)
                return
            self._send(status, headers, payload)
            proxy.done(number, status)

        def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
            length = next((v for k, v in headers if k.lower() == "content-length"), None)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            block = self._head_block(status, headers, length or str(len(payload)))
            self.wfile.write(block + (b"" if self.command == "HEAD" else payload))

        do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _proxy

    return Handler


def _tampered(
    tamper: Tamper, status: int, headers: list[tuple[str, str]], payload: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    if tamper.body is not None:
        payload = tamper.body(payload)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(payload))))
    for name, value in tamper.headers.items():
        headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
        if value is not None:
            headers.append((name, value))
    return tamper.status or status, headers, payload


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@contextlib.contextmanager
def fault_proxy(
    upstream: str, plan: Plan | None = None, *, timeout: float = 60.0
) -> Iterator[FaultProxy]:
    """A ``FaultProxy`` on 127.0.0.1 in front of ``upstream`` (``host:port``, plain HTTP) for
    the length of the block; stalled requests are released when it ends."""
    proxy = FaultProxy(upstream, plan or Plan(), timeout=timeout)
    server = _Server(("127.0.0.1", 0), _handler(proxy))
    proxy.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.faultproxy [--upstream HOST:PORT] [--fault F | --rate R --seed S]``:
    the proxy on its own, until Ctrl-C or SIGTERM (then it prints what it saw), for trying a
    command against a failing registry."""
    parser = argparse.ArgumentParser(prog="python -m tests.faultproxy", description=main.__doc__)
    parser.add_argument("--upstream", default="127.0.0.1:5000", help="default: %(default)s")
    parser.add_argument("--fault", choices=FAULTS, help="answer every request with this fault")
    parser.add_argument("--rate", type=float, default=0.0, help="fail this share of requests")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rules = (Rule(args.fault),) if args.fault else ()
    with fault_proxy(args.upstream, Plan(rate=args.rate, seed=args.seed, rules=rules)) as proxy:
        print(f"fault proxy on {proxy.host} in front of {args.upstream}", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: proxy.stopping.set())
        with contextlib.suppress(KeyboardInterrupt):
            while not proxy.stopping.wait(1):
                pass
        print(proxy.stats().summary(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
