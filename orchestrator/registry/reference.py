"""Image references: ``python:3.8-rc``, ``localhost:5000/x:tag``, ``name@sha256:…``, parsed.

A reference names the host to talk to, the repository path of the distribution API and a tag
or digest. Docker Hub's short names are expanded as ``docker pull`` does (``python`` is
``library/python`` on ``registry-1.docker.io``). Pure: no I/O, nothing but text in and out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.errors import ConfigError, printable

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
DOCKER_HUB_INDEX = "index.docker.io"
# Every host name that means Docker Hub, in a reference or a docker config.
DOCKER_HUB_HOSTS = (DOCKER_HUB, DOCKER_HUB_INDEX, DOCKER_HUB_API)

# Whole-value patterns, checked with fullmatch (``$`` would let a trailing newline by).
_LOOPBACK = re.compile(r"(localhost|127(\.\d+){3}|\[::1\])(:\d+)?")
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
# The encoded part of the digests a registry computes (OCI image spec, "registered algorithms").
_DIGEST_HEX = {"sha256": re.compile(r"[a-f0-9]{64}"), "sha512": re.compile(r"[a-f0-9]{128}")}
# A registry host: DNS labels or an IPv4 address, or a bracketed IPv6 one, and a port.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{{1,5}}))?")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")


@dataclass(frozen=True)
class Reference:
    """A parsed image reference.

    ``registry`` is the host to talk to (``registry-1.docker.io`` for Docker Hub), ``repository``
    the API path (``library/python``), ``name`` what ``docker pull`` lines show (``python``,
    ``localhost:5000/python``), ``text`` the reference exactly as requested.
    """

    registry: str
    repository: str
    name: str
    tag: str | None
    digest: str | None
    text: str

    @property
    def reference(self) -> str:
        """What goes after ``/manifests/``: the digest if given, else the tag."""
        return self.digest or self.tag or "latest"


def parse_reference(text: str, registry: str | None = None) -> Reference:
    """Normalise ``python:3.8-rc`` (Docker Hub ``library/python``), ``localhost:5000/x:tag`` …

    ``registry`` (``--registry HOST``) overrides the host: the repository path is then the one
    Docker Hub would use (``library/`` for official names), as a registry mirror holds it.
    """
    rest, _, digest = text.partition("@")
    if digest and (problem := digest_problem(digest)):
        raise ConfigError(f"{printable(text)}: {problem}")
    tag: str | None = None
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise ConfigError(f"{printable(text)}: not a valid tag {tag!r}")
    if not digest and tag is None:
        tag = "latest"
    parts = rest.split("/")
    first = parts[0]
    explicit = len(parts) > 1 and ("." in first or ":" in first or first == "localhost")
    host = first if explicit else DOCKER_HUB
    if explicit and (problem := host_problem(host)):
        raise ConfigError(f"{printable(text)}: {problem}")
    path = parts[1:] if explicit else parts
    if not path or not all(_COMPONENT.fullmatch(p) for p in path):
        raise ConfigError(f"{printable(text)}: not a valid repository name {'/'.join(path)!r}")
    hub_like = is_docker_hub(host)
    if hub_like and len(path) == 1:
        path = ["library", *path]
    repository = "/".join(path)
    # What `docker pull NAME@digest` lines show: no library/, no docker.io/.
    if hub_like:
        name = "/".join(path[1:] if path[0] == "library" else path)
    else:
        name = f"{host}/{repository}"
    if registry:
        if problem := host_problem(registry):
            raise ConfigError(f"--registry {printable(registry)}: {problem}")
        host = registry
    elif hub_like:
        host = DOCKER_HUB_API
    return Reference(
        registry=host, repository=repository, name=name, tag=tag, digest=digest or None, text=text
    )


def digest_problem(digest: str) -> str | None:
    """What is wrong with ``digest`` (``sha256:`` and 64 hex digits, or ``sha512:`` and 128),
    or None."""
    algorithm, _, encoded = digest.partition(":")
    if not _DIGEST.fullmatch(digest):
        return f"not a valid digest {digest!r}"
    pattern = _DIGEST_HEX.get(algorithm)
    if pattern is None:
        return f"digest {digest!r}: unsupported algorithm {algorithm!r} (sha256 or sha512)"
    if not pattern.fullmatch(encoded):
        digits = 64 if algorithm == "sha256" else 128
        return f"digest {digest!r}: expected {algorithm}: and {digits} lower-case hex digits"
    return None


def host_problem(host: str) -> str | None:
    """What is wrong with a registry host (``localhost:5000``, ``registry.example.org``), or
    None: names and a port only, nothing a URL would read as more (a path, a space, a user)."""
    m = _HOST.fullmatch(host)
    if m is None:
        return f"not a registry host {host!r} (HOST or HOST:PORT)"
    if m["port"] is not None and not 0 < int(m["port"]) < 65536:
        return f"registry host {host!r}: port out of range"
    return None


def repository_problem(name: str) -> str | None:
    """What is wrong with a repository name (``python``, ``team/python``), or None."""
    if not name or not all(_COMPONENT.fullmatch(p) for p in name.split("/")):
        return (
            f"not a valid repository name {name!r} (lower-case letters, digits and . _ - "
            "between them, parts separated by /)"
        )
    return None


def is_docker_hub(host: str) -> bool:
    return host in DOCKER_HUB_HOSTS


def is_loopback(host: str) -> bool:
    return bool(_LOOPBACK.fullmatch(host))
