"""The registry client against the in-process fake registry (``tests/fakes/registry.py``):
manifests and blobs over real HTTP on 127.0.0.1, Basic and Bearer auth, redirects, retries.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestrator import oci, registry, retrying
from orchestrator.errors import RegistryError
from tests.fakes import registry as registry_fake
from tests.fakes.registry import FakeRegistry, b64

fake = registry_fake.fake  # the fixture (test_report uses it too)


def _client(fake: FakeRegistry, **kw: Any) -> registry.Client:
    kw.setdefault("load_credentials", False)
    return registry.Client(fake.host, policy=retrying.NO_WAIT, timeout=5, **kw)


def test_loopback_hosts_use_plain_http() -> None:
    assert registry.Client("localhost:5000").base == "http://localhost:5000"
    assert registry.Client("127.0.0.1:5000").base == "http://127.0.0.1:5000"
    assert registry.Client("ghcr.io", load_credentials=False).base == "https://ghcr.io"


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
        json.dumps({"auths": {fake.host: {"auth": b64("ann:pw")}}})
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
