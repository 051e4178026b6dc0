"""Registry credentials from the usual docker config, looked up as the docker CLI does.

The config is ``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``. A host's credentials
come from ``credHelpers[host]``, else the ``credsStore``, else ``auths`` (a base64 ``auth``
``user:pass``, or ``username``/``password``). A helper or store ``NAME`` is the program
``docker-credential-NAME get``, run through ``orchestrator.proc``. Docker Hub is found under any
of its names, first the key ``docker login`` writes (``https://index.docker.io/v1/``).

The config is read when a registry first asks for credentials, and checked then as a whole:
a file that is not UTF-8 JSON, or whose ``auths``, ``credHelpers`` or ``credsStore`` have the
wrong type, a helper name that is not a plain name (it becomes a program's name), an ``auth``
that is not base64 of ``user:pass`` are a ``ConfigError`` (exit 2) naming the file and the key,
never the secret; so is a helper whose answer is not a JSON object. ``refusal`` words a
registry's 401/403 for the user: whose credentials, from where, and the ``docker login`` to run.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator import proc
from orchestrator.errors import CommandFailed, ConfigError
from orchestrator.files import parse_json, read_json
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
    where = "docker config"
    if config is None:
        path = docker_config_path()
        where = str(path)
        config = read_config(path)
        if config is None:
            return None
    problems = config_problems(config, where)
    if problems:
        raise ConfigError(problems)
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
    return _from_auths(auths, keys, where)


# A credential helper's name: the program run is ``docker-credential-<name>``.
HELPER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def read_config(path: Path) -> Mapping[str, Any] | None:
    """The docker config at ``path`` (None when there is none), or a ConfigError at its line."""
    try:
        data = read_json(path, "docker config")
    except FileNotFoundError:
        return None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: docker config: expected a JSON object at the top")
    return data


def config_problems(config: Mapping[str, Any], where: str) -> list[str]:
    """What is wrong with the parts of a docker config this module reads (never a secret)."""
    problems: list[str] = []
    helpers = config.get("credHelpers")
    if helpers is not None and not isinstance(helpers, dict):
        problems.append(f"{where}: credHelpers: expected an object")
    for host, name in (helpers or {}).items() if isinstance(helpers, dict) else ():
        if not isinstance(name, str) or not HELPER_RE.fullmatch(name):
            problems.append(f"{where}: credHelpers.{host}: expected a helper name")
    store = config.get("credsStore")
    if store not in (None, "") and (not isinstance(store, str) or not HELPER_RE.fullmatch(store)):
        problems.append(f"{where}: credsStore: expected a helper name")
    auths = config.get("auths")
    if auths is not None and not isinstance(auths, dict):
        problems.append(f"{where}: auths: expected an object")
    for host, entry in (auths or {}).items() if isinstance(auths, dict) else ():
        if not isinstance(entry, dict):
            problems.append(f"{where}: auths.{host}: expected an object")
            continue
        for key in ("auth", "username", "password", "identitytoken"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                problems.append(f"{where}: auths.{host}.{key}: expected a string")
    return problems


def _auth_keys(host: str) -> tuple[str, ...]:
    """The config keys ``host``'s credentials may be stored under, the preferred first."""
    if is_docker_hub(host):
        return (DOCKER_HUB_AUTH_KEY, DOCKER_HUB_INDEX, DOCKER_HUB, DOCKER_HUB_API)
    return (host, f"https://{host}", f"http://{host}", f"https://{host}/v1/", f"https://{host}/v2/")


def _from_auths(
    auths: Mapping[str, Any], keys: tuple[str, ...], where: str = "docker config"
) -> Credentials | None:
    for key in keys:
        entry = auths.get(key)
        if not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            problem = f"{where}: auths.{key}.auth: not base64 user:pass"
            try:
                decoded = base64.b64decode(entry["auth"], validate=True).decode()
            except (ValueError, UnicodeDecodeError) as exc:
                raise ConfigError(problem) from exc
            user, colon, secret = decoded.partition(":")
            if not user or not colon:
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
    # Never quoted back: a helper's answer holds the secret, however it is broken.
    where = f"docker-credential-{name} get"
    data = parse_json(done.stdout, where, "its answer")
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: its answer: expected a JSON object")
    return Credentials(str(data.get("Username", "")), str(data.get("Secret", "")))


def refusal(host: str, creds: Credentials | None, status: int, from_config: bool) -> str:
    """Why ``host`` refused (401/403), for the user: whose credentials, from where, what to run.
    ``from_config``: the credentials came from the docker config (not given by the caller)."""
    where = (
        f"the docker config ({docker_config_path()})" if from_config else "the credentials given"
    )
    if creds is None:
        hint = f"{host} wants credentials and " + (
            f"{where} has none for it" if from_config else "none were given"
        )
    elif status == 401:
        hint = f"{host} refused the credentials of user {creds.username!r} from {where}"
    else:
        hint = f"user {creds.username!r} (from {where}) may not do this on {host}"
    return f"{hint} (run `docker login {host}`)"
