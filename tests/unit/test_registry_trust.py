"""How a registry is reached (``orchestrator.registry.trust``) and what the client says when a
registry refuses it (401/403): which registry, whose credentials, from where, never a secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from orchestrator import registry, retrying
from orchestrator.errors import AuthError, ConfigError
from orchestrator.registry.trust import Trust, trust_for
from tests.fakes import registry as registry_fake
from tests.fakes.registry import FakeRegistry, b64

fake = registry_fake.fake

PEM = "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n"


def _certs(tmp_path: Path, host: str, *names: str) -> Path:
    folder = tmp_path / "certs.d" / host
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_text(PEM.format(name))
    return tmp_path / "certs.d"


def test_loopback_without_engine_certificates_is_plain_http(tmp_path: Path) -> None:
    certs = tmp_path / "certs.d"
    assert trust_for("localhost:5000", loopback=True, certs_d=certs) == Trust("http", True)
    assert trust_for("ghcr.io", loopback=False, certs_d=certs) == Trust("https", True)


def test_the_engines_ca_for_a_host_means_https_with_that_ca(tmp_path: Path) -> None:
    certs = _certs(tmp_path, "localhost:5443", "ca.crt", "client.cert", "client.key")
    got = trust_for("localhost:5443", loopback=True, certs_d=certs)
    assert got == Trust("https", str(certs / "localhost:5443" / "ca.crt"))
    # another port of the same host is another registry
    assert trust_for("localhost:5000", loopback=True, certs_d=certs).scheme == "http"
    assert trust_for("localhost:5443", loopback=True, certs_d=certs, plain_http=True).scheme == (
        "http"
    )


def test_several_engine_cas_are_trusted_together(tmp_path: Path) -> None:
    certs = _certs(tmp_path, "reg.example:443", "a.crt", "b.crt")
    got = trust_for("reg.example:443", loopback=False, certs_d=certs)
    assert got.scheme == "https" and isinstance(got.verify, str)
    bundle = Path(got.verify).read_text()
    assert bundle == PEM.format("a.crt") + PEM.format("b.crt")
    assert trust_for("reg.example:443", loopback=False, certs_d=certs) == got  # reused


def test_a_ca_file_means_https_and_must_exist(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text(PEM.format("x"))
    assert trust_for("localhost:5443", loopback=True, ca_file=ca) == Trust("https", str(ca))
    with pytest.raises(ConfigError, match=r"--ca-file .*missing\.pem: no such file"):
        trust_for("localhost:5443", loopback=True, ca_file=tmp_path / "missing.pem")


def test_the_client_verifies_every_request_against_its_ca_despite_requests_ca_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests lets REQUESTS_CA_BUNDLE win over a session's ``verify``; the client must not.
    certs = _certs(tmp_path, "localhost:5443", "ca.crt")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    seen: list[Any] = []

    def spy(self: requests.Session, method: str, url: str, **kw: Any) -> requests.Response:
        seen.append((url, kw.get("verify")))
        response = requests.Response()
        response.status_code = 404
        response.request = requests.Request(method, url).prepare()
        return response

    monkeypatch.setattr(requests.Session, "request", spy)
    client = registry.Client("localhost:5443", certs_d=certs, load_credentials=False)
    assert client.base == "https://localhost:5443"
    assert client.head_manifest("r", "t") is None
    assert seen == [
        ("https://localhost:5443/v2/r/manifests/t", str(certs / "localhost:5443" / "ca.crt"))
    ]


# --------------------------------------------------------------------------- refusals


def _config(tmp_path: Path, host: str, auth: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "docker"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"auths": {host: {"auth": b64(auth)}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    return folder / "config.json"


@pytest.mark.parametrize("scheme", ["basic", "bearer"])
def test_no_credentials_for_the_registry_is_a_clear_auth_error(
    fake: FakeRegistry, scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.auth = scheme
    config = _config(tmp_path, "other.example", "ann:pw", monkeypatch)
    client = registry.Client(fake.host, policy=retrying.NO_WAIT, timeout=5)
    with pytest.raises(AuthError) as info:
        client.get_manifest("r", "t")
    message = str(info.value)
    assert info.value.status == 401 and info.value.exit_code == 3
    assert f"{fake.host} wants credentials and the docker config ({config}) has none" in message
    assert f"docker login {fake.host}" in message
    assert fake.log.count("GET /v2/r/manifests/t") == 1  # never retried


@pytest.mark.parametrize("scheme", ["basic", "bearer"])
def test_rejected_credentials_name_the_user_never_the_secret(
    fake: FakeRegistry, scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.auth = scheme
    config = _config(tmp_path, fake.host, "ann:s3cret-pw", monkeypatch)
    with pytest.raises(AuthError) as info:
        registry.Client(fake.host, policy=retrying.NO_WAIT, timeout=5).get_manifest("r", "t")
    message = str(info.value)
    assert f"refused the credentials of user 'ann' from the docker config ({config})" in message
    for secret in ("s3cret-pw", b64("ann:s3cret-pw"), b64("s3cret-pw")):
        assert secret not in message and secret not in repr(info.value)


def test_credentials_given_in_code_are_not_said_to_come_from_a_config(
    fake: FakeRegistry,
) -> None:
    fake.auth = "basic"
    client = registry.Client(
        fake.host, policy=retrying.NO_WAIT, credentials=registry.Credentials("ann", "bad")
    )
    with pytest.raises(AuthError, match="refused the credentials of user 'ann' from the cred"):
        client.get_manifest("r", "t")
    bare = registry.Client(fake.host, policy=retrying.NO_WAIT, load_credentials=False)
    with pytest.raises(AuthError, match="wants credentials and none were given"):
        bare.get_manifest("r", "t")
