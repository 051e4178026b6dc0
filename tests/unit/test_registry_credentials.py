"""Credentials from a docker config: ``auths``, ``credsStore`` and ``credHelpers`` in the
docker CLI's order, a secret never printed, a bad entry named (a helper is injected: no process
runs, except in the test of a helper's broken answer)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from orchestrator import registry
from orchestrator.errors import ConfigError
from orchestrator.registry import credentials


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


@pytest.mark.real_processes  # a shell script as the helper
@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("Username=ann Secret=hunter2", "docker-credential-odd get:1: its answer: not JSON"),
        ('["ann", "hunter2"]', "docker-credential-odd get: its answer: expected a JSON object"),
    ],
)
def test_a_helper_answering_other_than_a_json_object_is_named_never_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str, problem: str
) -> None:
    helper = tmp_path / "docker-credential-odd"
    helper.write_text(f"#!/bin/sh\ncat >/dev/null\necho '{answer}'\n")
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    with pytest.raises(ConfigError) as caught:
        credentials.credentials_for("ghcr.io", {"credHelpers": {"ghcr.io": "odd"}})
    assert str(caught.value).startswith(problem), str(caught.value)
    assert "hunter2" not in str(caught.value)
