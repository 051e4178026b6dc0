"""Registry credentials from the usual docker config, looked up as the docker CLI does.

The config is ``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``. A host's credentials
come from ``credHelpers[host]``, else the ``credsStore``, else ``auths`` (a base64 ``auth``
``user:pass``, or ``username``/``password``). A helper or store ``NAME`` is the program
``docker-credential-NAME get``, run through ``orchestrator.proc``. Docker Hub is found under any
of its names, first the key ``docker login`` writes (``https://index.docker.io/v1/``).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator import proc
from orchestrator.errors import CommandFailed, ConfigError
from orchestrator.registry.reference import (
    DOCKER_HUB,
    DOCKER_HUB_API,
    DOCKER_HUB_INDEX,
    is_docker_hub,
)

DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"


@dataclass(frozen=True)
class Credentials:
    username: str
    secret: str

    def __repr__(self) -> str:  # never print a secret
        return f"Credentials(username={self.username!r}, secret=***)"


def docker_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def credentials_for(
    host: str,
    config: Mapping[str, Any] | None = None,
    *,
    helper: Callable[[str, str], Credentials | None] | None = None,
) -> Credentials | None:
    """Credentials for ``host`` from a docker config (default: read ``docker_config_path()``).

    ``credHelpers[host]`` wins over ``credsStore``, which wins over ``auths``, as in the docker
    CLI. ``helper(name, server)`` runs ``docker-credential-<name> get`` (injected by tests).
    """
    if config is None:
        path = docker_config_path()
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: unreadable docker config: {exc}") from exc
    assert config is not None
    run_helper = helper or _run_credential_helper
    keys = _auth_keys(host)
    helpers = config.get("credHelpers") or {}
    for key in keys:
        if key in helpers:
            return run_helper(str(helpers[key]), key)
    auths = config.get("auths") or {}
    if config.get("credsStore"):
        for key in keys:
            if key in auths or not auths:
                found = run_helper(str(config["credsStore"]), key)
                if found:
                    return found
    return _from_auths(auths, keys)


def _auth_keys(host: str) -> tuple[str, ...]:
    """The config keys ``host``'s credentials may be stored under, the preferred first."""
    if is_docker_hub(host):
        return (DOCKER_HUB_AUTH_KEY, DOCKER_HUB_INDEX, DOCKER_HUB, DOCKER_HUB_API)
    return (host, f"https://{host}", f"http://{host}", f"https://{host}/v1/", f"https://{host}/v2/")


def _from_auths(auths: Mapping[str, Any], keys: tuple[str, ...]) -> Credentials | None:
    for key in keys:
        entry = auths.get(key)
        if not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            problem = f"docker config: auths.{key}.auth: not base64 user:pass"
            try:
                decoded = base64.b64decode(entry["auth"], validate=True).decode()
            except (ValueError, UnicodeDecodeError) as exc:
                raise ConfigError(problem) from exc
            user, _, secret = decoded.partition(":")
            if not user:
                raise ConfigError(problem)
            return Credentials(user, secret)
        if entry.get("username"):
            return Credentials(str(entry["username"]), str(entry.get("password", "")))
    return None


def _run_credential_helper(name: str, server: str) -> Credentials | None:
    try:
        done = proc.run_command([f"docker-credential-{name}", "get"], input=server, timeout=30)
    except CommandFailed as exc:
        if "credentials not found" in exc.output.lower():
            return None
        raise
    data = json.loads(done.stdout)
    return Credentials(str(data.get("Username", "")), str(data.get("Secret", "")))
