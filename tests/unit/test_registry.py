"""The registry client: reference normalisation, docker-config credentials, and the HTTP API
against a small in-process fake registry (a stand-in for Docker Hub's token service and CDN
redirects, which cannot exist here; the real local registry is exercised by the integration
tests). The fake speaks real HTTP on 127.0.0.1, so the client's requests, auth challenges,
redirects and retries all happen for real.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import structlog

from orchestrator import oci, registry, retrying
from orchestrator.errors import ConfigError, RegistryError


@pytest.fixture(autouse=True)
def _fresh_log_config() -> Iterator[None]:
    # A test that ran cli.main under capsys leaves structlog printing to a closed stream.
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("text", "host", "repo", "name", "ref"),
    [
        ("python:3.8-rc", "registry-1.docker.io", "library/python", "python", "3.8-rc"),
        ("python", "registry-1.docker.io", "library/python", "python", "latest"),
        ("docker.io/library/python:3", "registry-1.docker.io", "library/python", "python", "3"),
        ("someone/tool:1", "registry-1.docker.io", "someone/tool", "someone/tool", "1"),
        (
            "localhost:5000/python:3.8-rc",
            "localhost:5000",
            "python",
            "localhost:5000/python",
            "3.8-rc",
        ),
        ("ghcr.io/a/b/c:v1", "ghcr.io", "a/b/c", "ghcr.io/a/b/c", "v1"),
        ("python@sha256:" + "a" * 64, "registry-1.docker.io", "library/python", "python", None),
    ],
)
def test_parse_reference(text: str, host: str, repo: str, name: str, ref: str | None) -> None:
    parsed = registry.parse_reference(text)
    assert (parsed.registry, parsed.repository, parsed.name) == (host, repo, name)
    assert parsed.reference == (ref or "sha256:" + "a" * 64)
    assert parsed.text == text


def test_registry_override_keeps_the_hub_path() -> None:
    parsed = registry.parse_reference("python:3.8-rc", registry="localhost:5000")
    assert parsed.registry == "localhost:5000"
    assert parsed.repository == "library/python"
    assert parsed.name == "python"
    other = registry.parse_reference("localhost:5000/x/y:1", registry="127.0.0.1:6000")
    assert (other.registry, other.repository) == ("127.0.0.1:6000", "x/y")


@pytest.mark.parametrize("bad", ["Python:3", "python:-x", "python@sha256", "a//b:1", ""])
def test_parse_reference_rejects_bad_names(bad: str) -> None:
    with pytest.raises(ConfigError):
        registry.parse_reference(bad)


def test_loopback_hosts_use_plain_http() -> None:
    assert registry.Client("localhost:5000").base == "http://localhost:5000"
    assert registry.Client("127.0.0.1:5000").base == "http://127.0.0.1:5000"
    assert registry.Client("ghcr.io", load_credentials=False).base == "https://ghcr.io"


# --------------------------------------------------------------------------- credentials


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_credentials_from_auths() -> None:
    config = {"auths": {"localhost:5000": {"auth": _b64("ann:s3:cret")}}}
    creds = registry.credentials_for("localhost:5000", config)
    assert creds == registry.Credentials("ann", "s3:cret")
    assert "s3" not in repr(creds)
    hub = {"auths": {"https://index.docker.io/v1/": {"auth": _b64("bob:pw")}}}
    assert registry.credentials_for("registry-1.docker.io", hub) == registry.Credentials(
        "bob", "pw"
    )
    assert registry.credentials_for("ghcr.io", hub) is None


def test_cred_helpers_win_over_store_and_auths() -> None:
    calls: list[tuple[str, str]] = []

    def helper(name: str, server: str) -> registry.Credentials | None:
        calls.append((name, server))
        return registry.Credentials(f"{name}-user", "tok")

    config = {
        "auths": {"ghcr.io": {"auth": _b64("plain:pw")}},
        "credsStore": "desktop",
        "credHelpers": {"ghcr.io": "gh"},
    }
    assert registry.credentials_for("ghcr.io", config, helper=helper) == registry.Credentials(
        "gh-user", "tok"
    )
    assert calls == [("gh", "ghcr.io")]
    del config["credHelpers"]
    assert registry.credentials_for("ghcr.io", config, helper=helper) == registry.Credentials(
        "desktop-user", "tok"
    )


def test_bad_auth_entry_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"auths\.h\.auth"):
        registry.credentials_for("h", {"auths": {"h": {"auth": "%%%"}}})


# --------------------------------------------------------------------------- a fake registry


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
                if header == "Basic " + _b64("ann:pw"):
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
                ) != "Basic " + _b64("ann:pw"):
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
    state = FakeRegistry()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _client(fake: FakeRegistry, **kw: Any) -> registry.Client:
    kw.setdefault("load_credentials", False)
    return registry.Client(fake.host, policy=retrying.NO_WAIT, timeout=5, **kw)


def test_manifest_roundtrip_keeps_bytes_digest_and_type(fake: FakeRegistry) -> None:
    client = _client(fake)
    body = b'{"schemaVersion": 2,\n "mediaType": "%s", "manifests": []}' % (
        oci.MANIFEST_LIST.encode()
    )
    digest = client.put_manifest("r", "t", body, oci.MANIFEST_LIST)
    assert digest == oci.digest(body)
    got = client.get_manifest("r", "t")
    assert got == registry.Manifest(body, digest, oci.MANIFEST_LIST)
    assert got.is_list
    head = client.head_manifest("r", "t")
    assert head is not None and head.digest == digest
    assert client.head_manifest("r", "missing") is None
    with pytest.raises(RegistryError) as info:
        client.get_manifest("r", "missing")
    assert info.value.status == 404
    assert "MANIFEST_UNKNOWN" in str(info.value)


def test_blob_upload_head_follows_redirects_to_last_modified(fake: FakeRegistry) -> None:
    client = _client(fake)
    fake.redirects = 3
    digest = client.upload_blob("r", b"layer bytes")
    assert fake.blobs[digest] == b"layer bytes"
    head = client.head_blob("r", digest)
    assert head == registry.Head(
        size=11, media_type=None, digest=None, last_modified="Tue, 09 Jul 2019 21:38:07 GMT"
    )
    assert client.get_blob("r", digest) == b"layer bytes"
    assert client.head_blob("r", "sha256:" + "0" * 64) is None
    # an existing blob is not uploaded again
    before = len([x for x in fake.log if x.startswith("POST")])
    client.upload_blob("r", b"layer bytes")
    assert len([x for x in fake.log if x.startswith("POST")]) == before


def test_too_many_redirects_is_an_error(fake: FakeRegistry) -> None:
    client = _client(fake)
    digest = client.upload_blob("r", b"x")
    fake.redirects = 12
    with pytest.raises(RegistryError, match="redirects"):
        client.head_blob("r", digest)


def test_head_url_of_a_foreign_layer(fake: FakeRegistry) -> None:
    fake.blobs["sha256:f"] = b"windows base"
    head = _client(fake).head_url(f"http://{fake.host}/cdn/sha256:f")
    assert head.last_modified == "Tue, 09 Jul 2019 21:38:07 GMT"
    assert head.size == 12


def test_bearer_token_flow_with_basic_credentials(fake: FakeRegistry) -> None:
    fake.auth = "bearer"
    client = _client(fake, credentials=registry.Credentials("ann", "pw"))
    digest = client.upload_blob("r", b"cfg")
    client.put_manifest("r", "t", b"{}", oci.MANIFEST_V2)
    assert client.get_manifest("r", "t").content == b"{}"
    assert fake.blobs[digest] == b"cfg"
    assert fake.tokens_issued  # the token service was asked
    # the token is reused: the second GET is answered without a new challenge
    count = len(fake.tokens_issued)
    client.get_manifest("r", "t")
    assert len(fake.tokens_issued) == count


def test_bearer_without_credentials_fails_clearly(fake: FakeRegistry) -> None:
    fake.auth = "bearer"
    with pytest.raises(RegistryError) as info:
        _client(fake).get_manifest("r", "t")
    assert info.value.status == 401


def test_basic_auth(fake: FakeRegistry) -> None:
    fake.auth = "basic"
    fake.manifests[("r", "t")] = (b"{}", oci.MANIFEST_V2)
    client = _client(fake, credentials=registry.Credentials("ann", "pw"))
    assert client.get_manifest("r", "t").media_type == oci.MANIFEST_V2
    with pytest.raises(RegistryError):
        _client(fake, credentials=registry.Credentials("ann", "wrong")).get_manifest("r", "t")


def test_credentials_come_from_the_docker_config(
    fake: FakeRegistry, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.auth = "basic"
    fake.manifests[("r", "t")] = (b"{}", oci.MANIFEST_V2)
    (tmp_path / "config.json").write_text(
        json.dumps({"auths": {fake.host: {"auth": _b64("ann:pw")}}})
    )
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    client = registry.Client(fake.host, policy=retrying.NO_WAIT, timeout=5)
    assert client.get_manifest("r", "t").content == b"{}"


def test_503_is_retried_then_succeeds(fake: FakeRegistry) -> None:
    fake.manifests[("r", "t")] = (b"{}", oci.MANIFEST_V2)
    fake.fail_next["/v2/r/manifests"] = 2
    assert _client(fake).get_manifest("r", "t").content == b"{}"
    assert fake.log.count("GET /v2/r/manifests/t") == 3


def test_503_gives_up_after_the_bounded_attempts(fake: FakeRegistry) -> None:
    fake.manifests[("r", "t")] = (b"{}", oci.MANIFEST_V2)
    fake.fail_next["/v2/r/manifests"] = 99
    policy = retrying.Policy(attempts=3, initial=0, maximum=0, jitter=0)
    with pytest.raises(RegistryError) as info:
        registry.Client(fake.host, policy=policy, load_credentials=False).get_manifest("r", "t")
    assert info.value.status == 503
    assert fake.log.count("GET /v2/r/manifests/t") == 3


def test_connection_refused_is_retried_and_reported() -> None:
    client = registry.Client(
        "127.0.0.1:9", policy=retrying.Policy(attempts=2, initial=0, maximum=0), timeout=2
    )
    with pytest.raises(RegistryError) as info:
        client.get_manifest("r", "t")
    assert info.value.status is None
    assert retrying.is_transient(info.value)
