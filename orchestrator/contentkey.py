"""Content keys: one sha256 over everything that decides what a job's image contains.

A job's key covers the rendered Dockerfile bytes, every file of its build context (relative
path, executable bit, bytes), its build arguments, its OCI platform and the manifest digest of
every base image its stages start from, *for the platform each is pulled for* (so a rebuilt
``buildpack-deps:bookworm`` changes the key of every job on it, and a rebuilt arm64 parent
changes only the arm64 jobs). ``parent_digest`` is that list as ``image@digest`` lines.

The pushed per-platform image carries the key twice: as the label ``io.orchestrate.content-key``
in its config, and in the tag ``build-<key[:12]>-<arch>`` it is pushed under. That tag is what
makes "the registry already holds an image for this key" one HEAD request, and what lets a run
that crashed or was interrupted continue with only the jobs not yet done.

How the job is built is in the key only when it is ``cross`` (a build stage on the build
platform, then the target stage): a cross-compiled CPython is another image than one compiled on
its own platform. ``native`` and ``emulate`` run the same Dockerfile on the same platform, under
qemu or not, and give the same image, so they share a key (and today's keys stay what they were:
what the farm built under emulation is found by a native arm64 runner, and the other way round).

Build arguments that only say *where* the sources come from (``PYTHON_DOWNLOAD_BASE``) are left
out of the key: the tarball is verified against its sha256 inside the build, so a mirror and
python.org give the same image, and a CI run against python.org must find what the local farm
built. Everything else that reaches the build (``PYTHON_BUILD_PROFILE`` among them) is in.

Pure: no process, no network. Reading the context files is the only I/O (``context_files``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestrator.platforms import Platform

KEY_LABEL = "io.orchestrate.content-key"
SCHEME = "orchestrate-content-key/v1"

# The only build strategy that is part of the key (see the module doc).
KEYED_STRATEGY = "cross"

# Build arguments that change where bytes come from, never which bytes (see the module doc).
LOCATION_ARGS = frozenset({"PYTHON_DOWNLOAD_BASE"})

# Never part of a build context's meaning: VCS metadata and editor droppings.
_IGNORED_NAMES = frozenset({".git", "__pycache__", ".DS_Store"})


@dataclass(frozen=True)
class ContextFile:
    """One file of a build context as the key sees it."""

    path: str  # POSIX path relative to the context directory
    executable: bool
    data: bytes


def context_files(directory: Path, *, skip: Collection[str] = ()) -> tuple[ContextFile, ...]:
    """Every file under ``directory`` (sorted by relative path), VCS metadata left out, and the
    folders named in ``skip`` (at any depth: another job's Dockerfile folder, see ``prepare``).

    ``.dockerignore`` is not interpreted: the rendered contexts have none, and reading more
    than BuildKit sends can only make the key stricter, never let a change slip through.
    """
    found: list[ContextFile] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d not in _IGNORED_NAMES and d not in skip)
        for name in filenames:
            if name in _IGNORED_NAMES:
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(directory).as_posix()
            found.append(ContextFile(rel, bool(path.stat().st_mode & 0o111), path.read_bytes()))
    return tuple(sorted(found, key=lambda f: f.path))


def _field(h: hashlib._Hash, name: str, value: bytes) -> None:
    # Length-prefixed fields: no choice of bytes in one field can imitate another field.
    h.update(f"{name} {len(value)}\n".encode())
    h.update(value)
    h.update(b"\n")


def content_key(
    *,
    dockerfile: bytes,
    context: Iterable[ContextFile],
    build_args: Sequence[tuple[str, str]],
    platform: Platform,
    parent_digest: str,
    strategy: str | None = None,
) -> str:
    """The job's content key: 64 lowercase hex digits. ``strategy`` counts only when it is
    ``cross`` (native and emulated builds of the same inputs are the same image)."""
    h = hashlib.sha256()
    h.update(SCHEME.encode() + b"\n")
    _field(h, "dockerfile", dockerfile)
    for f in sorted(context, key=lambda f: f.path):
        _field(h, "file", f"{f.path}\0{'x' if f.executable else '-'}".encode())
        _field(h, "data", f.data)
    for name, value in sorted(build_args):
        if name in LOCATION_ARGS:
            continue
        _field(h, "arg", f"{name}={value}".encode())
    _field(h, "platform", platform.oci.encode())
    _field(h, "os.version", (platform.os_version or "").encode())
    _field(h, "parent", parent_digest.encode())
    if strategy == KEYED_STRATEGY:
        _field(h, "strategy", strategy.encode())
    return h.hexdigest()


def key_tag(key: str, arch: str) -> str:
    """The tag a job's image is pushed under: ``build-<key[:12]>-<arch>``."""
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError(f"not a content key: {key!r}")
    return f"build-{key[:12]}-{arch}"
