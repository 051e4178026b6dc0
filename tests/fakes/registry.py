"""A fake registry for the registry client's tests (a fake, named as such).

A stand-in for a registry, Docker Hub's token service and its CDN redirects, which cannot
exist here; the real local registry is exercised by the integration tests. It speaks real HTTP
on 127.0.0.1, so the client's requests, auth challenges, redirects and retries all happen for
real. The ``fake`` fixture runs one for the length of a test and gives its state
(``FakeRegistry``), which the test arranges and inspects; a test module imports the fixture with
the class. It accepts one user, ``ann`` with password ``pw``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.fakes.http import serving


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass
class FakeRegistry:
    """A stand-in registry + token service + CDN on 127.0.0.1 (a fake, named as such)."""

    auth: str = "none"  # "none" | "basic" | "bearer"
    manifests: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    fail_next: dict[str, int] = field(default_factory=dict)  # path prefix -> 503 count
    redirects: int = 1  # hops of a blob GET/HEAD before the "CDN" answers
    log: list[str] = field(default_factory=list)
    port: int = 0
    tokens_issued: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"


def _handler(fake: FakeRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _authorized(self) -> bool:
            header = self.headers.get("Authorization", "")
            if fake.auth == "none":
                return True
            if fake.auth == "basic":
                if header == "Basic " + b64("ann:pw"):
                    return True
                self._send(401, b"{}", {"WWW-Authenticate": 'Basic realm="fake"'})
                return False
            if header.startswith("Bearer ") and header[7:] in fake.tokens_issued:
                return True
            realm = f"http://{fake.host}/token"
            scope = "repository:r:pull,push" if self.command in ("PUT", "POST") else "pull"
            challenge = f'Bearer realm="{realm}",service="fake",scope="{scope}"'
            self._send(401, b'{"errors":[]}', {"WWW-Authenticate": challenge})
            return False

        def _route(self) -> None:
            url = urlparse(self.path)
            fake.log.append(f"{self.command} {url.path}")
            for prefix, count in list(fake.fail_next.items()):
                if url.path.startswith(prefix) and count > 0:
                    fake.fail_next[prefix] = count - 1
                    self._send(503, b"busy", {"Retry-After": "0"})
                    return
            if url.path == "/token":
                q = parse_qs(url.query)
                if q.get("service") != ["fake"] or self.headers.get(
                    "Authorization"
                ) != "Basic " + b64("ann:pw"):
                    self._send(401)
                    return
                token = f"t{len(fake.tokens_issued)}"
                fake.tokens_issued.append(token)
                self._send(200, json.dumps({"token": token}).encode())
                return
            if url.path.startswith("/cdn/"):
                digest = url.path.rsplit("/", 1)[1]
                hops = int(parse_qs(url.query).get("hop", ["0"])[0])
                if hops < fake.redirects - 1:
                    self._send(307, headers={"Location": f"/cdn/{digest}?hop={hops + 1}"})
                    return
                body = fake.blobs.get(digest)
                if body is None:
                    self._send(404)
                    return
                self._send(200, body, {"Last-Modified": "Tue, 09 Jul 2019 21:38:07 GMT"})
                return
            if not self._authorized():
                return
            parts = url.path.split("/")
            if "/manifests/" in url.path:
                repo = "/".join(parts[2:-2])
                ref = parts[-1]
                if self.command == "PUT":
                    length = int(self.headers["Content-Length"])
                    body = self.rfile.read(length)
                    digest = "sha256:" + hashlib.sha256(body).hexdigest()
                    kind = self.headers["Content-Type"]
                    fake.manifests[(repo, ref)] = (body, kind)
                    fake.manifests[(repo, digest)] = (body, kind)
                    self._send(201, headers={"Docker-Content-Digest": digest})
                    return
                found = fake.manifests.get((repo, ref))
                if found is None:
                    self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no"}]}')
                    return
                body, kind = found
                digest = "sha256:" + hashlib.sha256(body).hexdigest()
                self._send(200, body, {"Content-Type": kind, "Docker-Content-Digest": digest})
                return
            if "/blobs/uploads/" in url.path:
                if self.command == "POST":
                    self._send(202, headers={"Location": "/v2/r/blobs/uploads/u1?state=x"})
                    return
                digest = parse_qs(url.query)["digest"][0]
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if "sha256:" + hashlib.sha256(body).hexdigest() != digest:
                    self._send(400, b'{"errors":[{"code":"DIGEST_INVALID","message":"x"}]}')
                    return
                fake.blobs[digest] = body
                self._send(201, headers={"Docker-Content-Digest": digest})
                return
            if "/blobs/" in url.path:
                digest = parts[-1]
                if digest not in fake.blobs:
                    self._send(404)
                    return
                if fake.redirects:
                    self._send(307, headers={"Location": f"http://{fake.host}/cdn/{digest}"})
                    return
                self._send(200, fake.blobs[digest])
                return
            self._send(404)

        do_GET = do_HEAD = do_PUT = do_POST = _route

    return Handler


@pytest.fixture
def fake() -> Iterator[FakeRegistry]:
    """A fake registry listening on 127.0.0.1 (a free port) for the length of a test."""
    state = FakeRegistry()
    with serving(_handler(state), poll=0.02) as port:
        state.port = port
        yield state
