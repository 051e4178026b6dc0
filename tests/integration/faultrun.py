"""Running ``orchestrate`` against the farm's registry behind the fault proxy, for the fault and
registry-answer tests (``test_faults.py``, ``test_fault_bounds.py``, ``test_registry_answers.py``).

- ``orchestrate`` runs the real command line in a subprocess (JSON log lines, ``CI=1``) and
  times it; ``Run`` holds what it printed, its exit code and its retry events.
- ``family_root`` is a repository root of the small test family (``tests/data/build-family``)
  narrowed to some architectures, so its tags list exactly those platforms.
- ``push_image`` / ``push_release`` put small real images (a gzip tar layer, an image config of
  their platform) into the real registry through its API, with results files naming them as
  ``build --push-by-digest`` would: content for the ``manifest`` and ``report`` cases that needs
  no engine.
- ``tags_of`` and ``check_complete`` read a repository back from the registry directly (not
  through the proxy): every tag there must name a list of all its platforms, each of which the
  registry holds.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator import oci, registry
from orchestrator.errors import RegistryError
from orchestrator.platforms import ARCHES
from orchestrator.policy import ListEntry
from orchestrator.results import JobResult, JobStatus, write_results

FAMILY = Path(__file__).resolve().parents[1] / "data" / "build-family"
VERSION = "3.11.2"
TAGS = ("3.11.2-tiny", "3.11-tiny", "3.11.2", "3.11")  # the plan's order
# Fast timeouts for tests that wait for a registry to be given up on.
FAST = "connect=1,read=1,total=3,unreachable=1"


def run_id() -> str:
    return uuid.uuid4().hex[:10]


@dataclass(frozen=True)
class Run:
    """One ``orchestrate`` run: exit code, output, wall time."""

    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.stderr.splitlines() if x.startswith("{")]

    @property
    def retries(self) -> list[dict[str, Any]]:
        """The product's own retries (``retrying``'s ``retry`` events)."""
        return [e for e in self.events if e.get("event") == "retry"]

    @property
    def error(self) -> str:
        """What the command said went wrong (its ``orchestrate CMD: error:`` text)."""
        match = re.search(r"^orchestrate \w+: error: (.*)", self.stderr, re.M | re.S)
        return match.group(1) if match else ""

    def show(self) -> str:
        return f"exit {self.code} in {self.seconds:.1f} s\n{self.stdout}\n{self.stderr[-4000:]}"


def orchestrate(
    root: Path | None, *args: str, env: Mapping[str, str] | None = None, timeout: float = 900
) -> Run:
    where = ["-C", str(root)] if root else []
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", *where, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CI": "1", **(env or {})},
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def assert_clean_failure(run: Run, code: int, *places: str) -> None:
    """Exit ``code``, a message naming every one of ``places``, and no traceback."""
    assert run.code == code, run.show()
    assert "Traceback" not in run.stderr, run.show()
    for place in places:
        assert place in run.error, f"{place!r} not in the error:\n{run.show()}"


def family_root(where: Path, arches: Sequence[str]) -> Path:
    """A repository root of the small test family building only ``arches``."""
    shutil.copytree(FAMILY, where, dirs_exist_ok=True)
    matrix = where / "matrix.yml"
    text = matrix.read_text()
    narrowed = text.replace(
        "arches: [amd64, i386, arm64v8, arm32v7]", f"arches: [{', '.join(arches)}]"
    )
    assert narrowed != text
    matrix.write_text(narrowed)
    return where


def job_id(arch: str) -> str:
    return f"{VERSION}-tiny-{arch}"


def _layer(text: str) -> tuple[bytes, str]:
    """A gzip tar layer holding one file, and its diff id."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0), oci.digest(raw.getvalue())


def push_image(
    client: registry.Client, repo: str, arch: str, *, config: bytes | None = None
) -> ListEntry:
    """A small real image of ``arch``'s platform, pushed by digest (no tag)."""
    platform = ARCHES[arch].platform
    layer, diff_id = _layer(f"{repo} {arch}\n")
    if config is None:
        doc = {
            "architecture": platform.architecture,
            "os": platform.os,
            **({"variant": platform.variant} if platform.variant else {}),
            "config": {"Cmd": ["python3"], "Env": ["LANG=C.UTF-8"]},
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "COPY / # buildkit"}],
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
        config = json.dumps(doc).encode()
    config_digest = client.upload_blob(repo, config)
    layers = [
        {"mediaType": oci.LAYER, "size": len(layer), "digest": client.upload_blob(repo, layer)}
    ]
    body = json.dumps(oci.image_manifest(config_digest, len(config), layers), indent=3).encode()
    digest = client.put_manifest(repo, oci.digest(body), body, oci.MANIFEST_V2)
    return ListEntry(job_id(arch), oci.MANIFEST_V2, len(body), digest, platform)


def push_release(
    client: registry.Client,
    repo: str,
    arches: Sequence[str],
    results: Path,
    *,
    host: str,
    tag: str | None = None,
    configs: Mapping[str, bytes] | None = None,
) -> list[ListEntry]:
    """Images of ``arches`` in ``repo``, a results file naming them as being in ``host/repo``
    and, with ``tag``, a manifest list of them under it."""
    entries = [push_image(client, repo, a, config=(configs or {}).get(a)) for a in arches]
    jobs = [
        JobResult(
            job_id=e.job_id,
            status=JobStatus.BUILT,
            platform=e.platform,
            repository=f"{host}/{repo}",
            digest=e.digest,
            content_key=f"{i:064x}",
            seconds=1.0,
            strategy="native",
        )
        for i, e in enumerate(entries)
    ]
    write_results(results, VERSION, jobs)
    if tag:
        media_type, body = oci.list_bytes(entries)
        client.put_manifest(repo, tag, body, media_type)
    return entries


def tags_of(client: registry.Client, repo: str) -> list[str]:
    try:
        answer = client.request("GET", f"/v2/{repo}/tags/list", repository=repo)
    except RegistryError as exc:
        if exc.status == 404:
            return []
        raise
    return sorted(answer.json().get("tags") or [])


def check_complete(client: registry.Client, repo: str, platforms: int) -> dict[str, str]:
    """Every release tag of ``repo`` names a list of ``platforms`` entries, each of which the
    registry holds; returns tag -> list digest. (Content-key tags, ``build-…``, name the
    per-platform images themselves.)"""
    out: dict[str, str] = {}
    for tag in tags_of(client, repo):
        if tag.startswith("build-"):
            assert not client.get_manifest(repo, tag).is_list
            continue
        found = client.get_manifest(repo, tag)
        assert found.is_list, f"{repo}:{tag} is not a list"
        entries = found.json()["manifests"]
        assert len(entries) == platforms, f"{repo}:{tag} lists {len(entries)} platforms"
        for entry in entries:
            assert client.head_manifest(repo, entry["digest"]) is not None, (tag, entry)
        out[tag] = found.digest
    return out
