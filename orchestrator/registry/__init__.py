"""The registry edge: image references, docker-config credentials and the distribution API.

One concern per module, each usable on its own:

- ``reference``: image references parsed and normalised (Docker Hub names, tags, digests,
  loopback hosts). Pure, no I/O.
- ``credentials``: a host's credentials from the docker config (``auths``, ``credsStore``,
  ``credHelpers``).
- ``timeouts``: how long the client waits (connect, read, one operation in all, an unreachable
  host), from ``$ORCHESTRATE_REGISTRY_TIMEOUTS`` or the defaults.
- ``answers``: a registry's answers checked and read (``Manifest``, ``Head``, HTTP errors).
- ``client``: the HTTP client of the Docker Registry HTTP API v2 / OCI distribution API
  (``Client``), with token auth, the retry policy and the time budget.
- ``view``: the build's view of registries (``BuildRegistry``): a parent image's digest for a
  platform through the Docker Hub mirror, key-tag lookups, the reachability probe. Imported
  as ``orchestrator.registry.view`` (the package does not load it).

The rest of orchestrate uses the names below through the package: ``from orchestrator import
registry`` then ``registry.parse_reference(…)``, ``registry.Client(host)``. Media types and
content digests are ``orchestrator.oci``'s.
"""

from __future__ import annotations

from orchestrator.registry.answers import Head, Manifest
from orchestrator.registry.client import MAX_REDIRECTS, Client, client_for
from orchestrator.registry.credentials import (
    DOCKER_HUB_AUTH_KEY,
    Credentials,
    credentials_for,
    docker_config_path,
)
from orchestrator.registry.reference import (
    DOCKER_HUB,
    DOCKER_HUB_API,
    Reference,
    digest_problem,
    host_problem,
    is_loopback,
    parse_reference,
    repository_problem,
)
from orchestrator.registry.timeouts import Timeouts

__all__ = [
    "DOCKER_HUB",
    "DOCKER_HUB_API",
    "DOCKER_HUB_AUTH_KEY",
    "MAX_REDIRECTS",
    "Client",
    "Credentials",
    "Head",
    "Manifest",
    "Reference",
    "Timeouts",
    "client_for",
    "credentials_for",
    "digest_problem",
    "docker_config_path",
    "host_problem",
    "is_loopback",
    "parse_reference",
    "repository_problem",
]
