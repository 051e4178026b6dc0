"""The build's view of the registry: parent digests (through the Docker Hub mirror), key-tag
lookups and a reachability probe, over ``Client``."""

from __future__ import annotations

import json
import threading
from dataclasses import replace

from orchestrator import oci, platforms, retrying
from orchestrator.errors import ConfigError, FarmError, RegistryError, first_line
from orchestrator.platforms import Platform
from orchestrator.registry import timeouts
from orchestrator.registry.client import Client
from orchestrator.registry.reference import DOCKER_HUB_API, Reference, parse_reference

# The reachability probe gives a registry at most this long (transient failures retried).
PROBE_SECONDS = 10.0


class BuildRegistry:
    """Parent digests (through the Docker Hub mirror) and key-tag lookups, over Client."""

    def __init__(self, *, hub_mirror: str | None, policy: retrying.Policy = retrying.DEFAULT):
        self.hub_mirror = hub_mirror
        self.policy = policy
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()

    def client(self, host: str) -> Client:
        with self._lock:
            if host not in self._clients:
                self._clients[host] = Client(host, policy=self.policy)
            return self._clients[host]

    def reachable(self, host: str) -> None:
        """FarmError when ``host`` does not answer at all within ``PROBE_SECONDS`` (a transient
        failure is retried within them; a refused connection gives up sooner)."""
        budget = timeouts.from_env()
        probe = Client(
            host,
            policy=self.policy,
            timeouts=replace(
                budget, read=min(budget.read, PROBE_SECONDS), total=min(budget.total, PROBE_SECONDS)
            ),
        )
        try:
            probe.request("GET", "/v2/", ok=(200, 401), what=f"GET {host}/v2/")
        except RegistryError as exc:
            if exc.status is None:
                raise FarmError(
                    f"registry {host} does not answer ({first_line(exc)}); "
                    "is the farm up? (scripts/farm up)"
                ) from exc

    def parent_ref(self, parent: str) -> Reference:
        """Docker Hub names go to the engine's Docker Hub mirror (the farm's registry)."""
        ref = parse_reference(parent)
        if ref.registry == DOCKER_HUB_API and self.hub_mirror:
            ref = parse_reference(parent, registry=self.hub_mirror)
        return ref

    def parent_digest(self, parent: str, platform: Platform) -> str:
        ref = self.parent_ref(parent)
        where = f"{ref.registry}/{ref.repository}:{ref.reference}"
        client = self.client(ref.registry)
        manifest = client.get_manifest(ref.repository, ref.reference)
        doc = manifest.json()
        if not manifest.is_list:
            config_digest = (doc.get("config") or {}).get("digest")
            if not isinstance(config_digest, str):
                raise RegistryError(f"{where}: the manifest has no config descriptor")
            try:
                config = json.loads(client.get_blob(ref.repository, config_digest))
            except ValueError as exc:
                raise RegistryError(f"{where}: config blob {config_digest} is not JSON") from exc
            if not isinstance(config, dict):
                raise RegistryError(f"{where}: config blob {config_digest} is not a JSON object")
            if not platforms.matches(config, platform):
                raise ConfigError(
                    f"{where} is a single {config.get('os')}/{config.get('architecture')} image"
                )
            return manifest.digest
        entries = [e for e in doc.get("manifests", []) if isinstance(e, dict)]
        for entry in entries:
            if platforms.matches(entry.get("platform") or {}, platform):
                if not oci.is_sha256_digest(entry.get("digest")):
                    raise RegistryError(f"{where}: the {platform.oci} entry has no valid digest")
                return str(entry["digest"])
        have = ", ".join(
            "/".join(str(p[k]) for k in ("os", "architecture", "variant") if p.get(k))
            for p in (e.get("platform") or {} for e in entries)
        )
        raise ConfigError(f"{where} has no {platform.oci} image (it has {have or 'none'})")

    def tag_digest(self, repository: str, tag: str) -> str | None:
        ref = parse_reference(f"{repository}:{tag}")
        head = self.client(ref.registry).head_manifest(ref.repository, tag)
        return None if head is None else head.digest
