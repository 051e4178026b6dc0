"""Image references: Docker Hub's short names expanded, a host override, bad names refused."""

from __future__ import annotations

import pytest

from orchestrator import registry
from orchestrator.errors import ConfigError


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


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("python:3.8-rc\n", "tag"),
        ("python\n", "repository name"),
        ("localhost:5000/python\n", "repository name"),
        ("python@sha256:" + "a" * 64 + "\n", "digest"),
    ],
)
def test_parse_reference_refuses_a_trailing_newline(text: str, what: str) -> None:
    with pytest.raises(ConfigError) as info:
        registry.parse_reference(text)
    (problem,) = info.value.problems
    # The reference is shown escaped: the message stays one line and names what is wrong.
    assert problem.startswith(f"{text[:-1]}\\n: not a valid {what} "), problem
    assert "\n" not in problem
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("localhost:5000", True),
        ("127.0.0.1:5000", True),
        ("[::1]:5000", True),
        ("registry.example", False),
        ("localhost\n", False),
        ("localhost:5000\n", False),
    ],
)
def test_is_loopback_takes_the_whole_host(host: str, loopback: bool) -> None:
    assert registry.is_loopback(host) is loopback
