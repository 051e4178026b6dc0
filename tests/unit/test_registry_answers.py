"""The registry's answers are checked before use (``orchestrator.registry.answers``).

The fake registry (``tests/fakes/registry.py``, a fake) holds good content; the fault proxy in
front of it (``tests/faultproxy.py``) rewrites one answer per case. Every bad answer is a
``RegistryError`` naming the request (method and URL) and what is wrong, and is asked only
once (a registry that stores bad bytes sends them again); a missing ``Docker-Content-Digest`` is
made up for by hashing the bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from orchestrator import oci, registry, retrying
from orchestrator.errors import RegistryError
from tests.fakes import registry as registry_fake
from tests.fakes.registry import FakeRegistry
from tests.faultproxy import FaultProxy, Plan, Tamper, fault_proxy

fake = registry_fake.fake  # the fixture

IMAGE = json.dumps({"schemaVersion": 2, "mediaType": oci.MANIFEST_V2, "layers": []}).encode()
DIGEST = oci.digest(IMAGE)
OTHER = b'{"schemaVersion": 2, "mediaType": "%s", "layers": [1]}' % oci.MANIFEST_V2.encode()


@pytest.fixture
def proxy(fake: FakeRegistry) -> Iterator[FaultProxy]:
    fake.redirects = 0
    fake.manifests[("r", "t")] = (IMAGE, oci.MANIFEST_V2)
    fake.manifests[("r", DIGEST)] = (IMAGE, oci.MANIFEST_V2)
    fake.blobs[oci.digest(b"config")] = b"config"
    with fault_proxy(fake.host) as p:
        yield p


def client(proxy: FaultProxy) -> registry.Client:
    return registry.Client(proxy.host, policy=retrying.NO_WAIT, load_credentials=False)


BAD_MANIFESTS = [
    ("not json", Tamper("GET", "/manifests/t$", body=lambda b: b"{not json"), "t",
     "the manifest is not valid JSON (Expecting property name"),
    ("not utf-8", Tamper("GET", "/manifests/t$", body=lambda b: b"\xff\xfe"), "t",
     "the manifest is not valid JSON"),
    ("an array", Tamper("GET", "/manifests/t$", body=lambda b: b"[]"), "t",
     "the manifest is not a JSON object"),
    ("html", Tamper("GET", "/manifests/t$", body=lambda b: b"{}",
                    headers={"Content-Type": "text/html"}), "t",
     "answered media type 'text/html', not a manifest or manifest list"),
    ("no type", Tamper("GET", "/manifests/t$", body=lambda b: b"{}",
                       headers={"Content-Type": None}), "t",
     "answered media type 'none'"),
    ("types disagree", Tamper("GET", "/manifests/t$", headers={"Content-Type": oci.OCI_INDEX}),
     "t", f"Content-Type says {oci.OCI_INDEX}, the manifest says {oci.MANIFEST_V2}"),
    ("mediaType a number", Tamper("GET", "/manifests/t$", body=lambda b: b'{"mediaType": 2}'),
     "t", "the manifest's mediaType is not a string"),
    ("other bytes for a digest", Tamper("GET", f"/manifests/{DIGEST}$", body=lambda b: OTHER),
     DIGEST, f"the bytes answered hash to {oci.digest(OTHER)}, not to the digest asked for"),
    ("a lying header", Tamper("GET", "/manifests/t$",
                              headers={"Docker-Content-Digest": oci.digest(b"x")}), "t",
     f"Docker-Content-Digest says {oci.digest(b'x')}, the bytes hash to {DIGEST}"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tamper", "reference", "message"),
    [case[1:] for case in BAD_MANIFESTS],
    ids=[case[0] for case in BAD_MANIFESTS],
)
def test_a_bad_manifest_answer_is_an_error_naming_the_request(
    proxy: FaultProxy, tamper: Tamper, reference: str, message: str
) -> None:
    proxy.use(Plan(tampers=(tamper,)))
    with pytest.raises(RegistryError) as info:
        client(proxy).get_manifest("r", reference)
    where = f"GET http://{proxy.host}/v2/r/manifests/{reference}: "
    assert str(info.value).startswith(where) and message in str(info.value)
    assert info.value.status is None and not retrying.is_transient(info.value)
    assert proxy.stats().requests == 1  # not retried


def test_a_blob_that_does_not_hash_to_its_digest(proxy: FaultProxy) -> None:
    digest = oci.digest(b"config")
    proxy.use(Plan(tampers=(Tamper("GET", "/blobs/", body=lambda b: b"conf1g"),)))
    with pytest.raises(RegistryError) as info:
        client(proxy).get_blob("r", digest)
    assert str(info.value) == (
        f"GET http://{proxy.host}/v2/r/blobs/{digest}: the blob answered hashes to "
        f"{oci.digest(b'conf1g')}, not to its digest"
    )


def test_without_docker_content_digest_the_bytes_are_hashed(proxy: FaultProxy) -> None:
    proxy.use(Plan(tampers=(Tamper("", "/manifests/", headers={"Docker-Content-Digest": None}),)))
    assert client(proxy).get_manifest("r", "t").digest == DIGEST
    head = client(proxy).head_manifest("r", "t")  # HEAD says nothing: one GET says it
    assert head is not None and head.digest == DIGEST and head.size == len(IMAGE)
    assert [(r.method, r.path) for r in proxy.stats().records][-2:] == [
        ("HEAD", "/v2/r/manifests/t"),
        ("GET", "/v2/r/manifests/t"),
    ]


def test_a_token_answer_that_is_not_json(fake: FakeRegistry) -> None:
    fake.auth = "bearer"
    fake.manifests[("r", "t")] = (IMAGE, oci.MANIFEST_V2)
    with fault_proxy(fake.host) as proxy:
        challenge = f'Bearer realm="http://{proxy.host}/token",service="fake",scope="pull"'
        proxy.use(
            Plan(
                tampers=(
                    Tamper("GET", "/manifests/", headers={"WWW-Authenticate": challenge}),
                    Tamper("GET", "^/token$", body=lambda b: b"<html>"),
                )
            )
        )
        creds = registry.Credentials("ann", "pw")
        c = registry.Client(proxy.host, policy=retrying.NO_WAIT, credentials=creds)
        with pytest.raises(RegistryError) as info:
            c.get_manifest("r", "t")
    assert str(info.value) == (
        f"token request to http://{proxy.host}/token: the answer is not a JSON object"
    )
