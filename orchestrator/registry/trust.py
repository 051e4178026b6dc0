"""How a registry host is reached: plain HTTP or HTTPS, and which certificates to trust, decided
as the Docker engine decides it for the same host.

The engine trusts the CA certificates ``/etc/docker/certs.d/<host>/*.crt`` for the registry
``<host>`` (``host:port`` as written in image names) and treats loopback registries as insecure
(plain HTTP) otherwise. So: an explicit CA file (``--ca-file``) means HTTPS with that CA; a
``certs.d`` folder for the host with ``.crt`` files means HTTPS with those CAs (and only those);
a loopback host without one means plain HTTP; every other host HTTPS with the system's CAs.
That is why ``orchestrate`` reaches the farm's htpasswd + TLS registry (``localhost:5443``, whose
CA the farm puts in ``/etc/docker/certs.d/localhost:5443/``) exactly where ``docker push`` does.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import ConfigError
from orchestrator.files import write_atomic

CERTS_D = Path("/etc/docker/certs.d")


@dataclass(frozen=True)
class Trust:
    """``scheme`` ``http`` or ``https``; ``verify``: True (the system's CAs) or a CA file."""

    scheme: str
    verify: bool | str


def trust_for(
    host: str,
    *,
    loopback: bool,
    ca_file: str | os.PathLike[str] | None = None,
    plain_http: bool | None = None,
    certs_d: Path = CERTS_D,
) -> Trust:
    """How to reach ``host`` (see the module docstring); ``plain_http`` forces the scheme."""
    if ca_file is not None:
        path = Path(ca_file)
        if not path.is_file():
            raise ConfigError(f"--ca-file {path}: no such file")
        return Trust("http" if plain_http else "https", os.fspath(path))
    cas = _engine_cas(certs_d / host)
    if plain_http is None:
        plain_http = loopback and not cas
    if plain_http:
        return Trust("http", True)
    return Trust("https", _bundle(cas) if cas else True)


def _engine_cas(folder: Path) -> list[Path]:
    """The CA certificates the engine trusts for one host (``*.crt``), sorted by name."""
    try:
        return sorted(p for p in folder.glob("*.crt") if p.is_file())
    except OSError:
        return []


def _bundle(cas: list[Path]) -> str:
    """One CA file for ``requests``: the only one, or the several concatenated into a file
    named by its content (so repeated runs reuse it) in the temporary directory."""
    if len(cas) == 1:
        return os.fspath(cas[0])
    try:
        pem = b"".join(p.read_bytes().rstrip(b"\n") + b"\n" for p in cas)
    except OSError as exc:
        raise ConfigError(f"{cas[0].parent}: unreadable CA certificate: {exc}") from exc
    target = Path(tempfile.gettempdir()) / f"orchestrate-ca-{hashlib.sha256(pem).hexdigest()}.pem"
    if not target.is_file():
        write_atomic(target, pem)
    return os.fspath(target)
