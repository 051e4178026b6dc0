"""Crashing ``orchestrate build`` on purpose, and what the registry must look like afterwards
(test helper for ``test_crash.py`` and ``test_restart.py``).

``start`` runs the real command line in a session (and process group) of its own, output to
files; ``kill_at`` SIGKILLs the orchestrator (only its PID: its ``docker`` children are left
as a crash leaves them) after a delay or at a log event; ``orphans_lasted`` measures how long
those children went on; ``reap`` SIGKILLs what is left of the group, by the group's id (a
group this helper created).

``registry_state`` reads a repository straight from the registry with the product's client and
checks what a crash must never leave: a tag naming a manifest, config or layer the registry does
not hold; a manifest list with fewer platforms than the policy allows (without ``--keep-going``:
every platform of the plan, in plan order); a key tag (``build-<key12>-<arch>``) whose image is
of another platform or carries another content key; any other tag.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator import contentkey, oci, platforms, proc, registry
from orchestrator.errors import RegistryError

KEY_LABEL = contentkey.KEY_LABEL


@dataclass
class Run:
    """A started ``orchestrate`` process: its argv, output files and what became of it."""

    argv: list[str]
    popen: subprocess.Popen[bytes]
    out: Path
    err: Path
    started: float
    killed_after: float | None = None  # seconds after the start, when it was SIGKILLed
    killed_at_event: str | None = None

    @property
    def pgid(self) -> int:
        return self.popen.pid  # start_new_session: the leader's PID is the group's id

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def events(self) -> list[dict[str, Any]]:
        return events(self.stderr())


def events(stderr: str) -> list[dict[str, Any]]:
    """The JSON log events of a run's stderr (``CI=1``), in order; torn last lines skipped."""
    found = []
    for line in stderr.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue  # the last line of a killed run may be cut short
    return found


def orchestrate_argv(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "orchestrator.cli", "-C", str(root), *args]


def start(argv: list[str], where: Path, *, env: dict[str, str] | None = None) -> Run:
    """Start ``argv`` in a new session, stdout/stderr to files under ``where``."""
    where.mkdir(parents=True, exist_ok=True)
    out, err = where / "stdout", where / "stderr"
    with out.open("wb") as o, err.open("wb") as e:
        popen = subprocess.Popen(
            argv,
            stdout=o,
            stderr=e,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "CI": "1", **(env or {})},
            start_new_session=True,
        )
    return Run(argv, popen, out, err, time.monotonic())


def kill_at(
    run: Run,
    *,
    delay: float | None = None,
    event: Callable[[dict[str, Any]], bool] | None = None,
    extra: float = 0.0,
    limit: float = 900.0,
) -> bool:
    """SIGKILL the orchestrator ``delay`` seconds after its start, or ``extra`` seconds after
    the first log event ``event`` accepts. False when it ended before (nothing was killed).

    The log is read as it grows, every 2 ms, so that a kill at an event lands within a few
    milliseconds of it (the four list PUTs of a release take about 20 ms each)."""
    deadline = run.started + limit
    pending = b""
    with run.err.open("rb") as log:
        while time.monotonic() < deadline:
            if run.popen.poll() is not None:
                return False
            if delay is not None and time.monotonic() - run.started >= delay:
                break
            if event is not None:
                pending += log.read()
                *lines, pending = pending.split(b"\n")
                hit = next((e for e in events(b"\n".join(lines).decode()) if event(e)), None)
                if hit is not None:
                    run.killed_at_event = str(hit.get("event"))
                    time.sleep(extra)
                    break
            time.sleep(0.002 if event is not None else 0.05)
    if run.popen.poll() is not None:
        return False
    os.kill(run.popen.pid, signal.SIGKILL)
    run.popen.wait()
    run.killed_after = round(time.monotonic() - run.started, 2)
    return True


def wait_for_event(
    run: Run, accept: Callable[[dict[str, Any]], bool], *, limit: float = 900.0
) -> dict[str, Any]:
    """The first log event of ``run`` that ``accept`` takes, waiting for it; AssertionError
    when the run ends or ``limit`` passes first."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        hit = next((e for e in run.events() if accept(e)), None)
        if hit is not None:
            return hit
        if run.popen.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"no such event; the run: {run.stdout()[-2000:]}{run.stderr()[-3000:]}")


def group_members(pgid: int, proc_dir: Path = Path("/proc")) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``."""
    return [p.pid for p in proc.processes(proc_dir) if p.pgid == pgid and p.state != "Z"]


def orphans_lasted(run: Run, *, limit: float = 30.0) -> float | None:
    """Seconds from the kill until no process of the killed run's group runs any more (its
    orphaned ``docker`` commands ended by themselves), or None when some still run at ``limit``."""
    assert run.killed_after is not None
    killed = run.started + run.killed_after
    while time.monotonic() < killed + limit:
        if not group_members(run.pgid):
            return round(max(0.0, time.monotonic() - killed), 1)
        time.sleep(0.1)
    return None


def reap(run: Run, *, grace: float = 0.0) -> list[int]:
    """Wait up to ``grace`` seconds for the killed run's orphans (its ``docker`` commands) to
    end by themselves, then SIGKILL the rest of its group. Returns the PIDs that were left."""
    deadline = time.monotonic() + grace
    while group_members(run.pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = group_members(run.pgid)
    if left:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pgid, signal.SIGKILL)
        end = time.monotonic() + 30
        while group_members(run.pgid) and time.monotonic() < end:
            time.sleep(0.1)
    if run.popen.poll() is None:
        run.popen.kill()
        run.popen.wait()
    return left


# --------------------------------------------------------------------------- the registry


@dataclass
class RegistryState:
    """A repository as the registry holds it, and what is wrong with it."""

    lists: dict[str, str] = field(default_factory=dict)  # tag -> list digest
    entries: dict[str, tuple[str, ...]] = field(default_factory=dict)  # tag -> entry digests
    key_tags: dict[str, str] = field(default_factory=dict)  # arch -> image digest
    key_tag_names: dict[str, str] = field(default_factory=dict)  # arch -> tag
    problems: list[str] = field(default_factory=list)


def _tags(client: registry.Client, repo: str) -> list[str]:
    try:
        answer = client.request("GET", f"/v2/{repo}/tags/list", repository=repo)
    except RegistryError as exc:
        if exc.status == 404:
            return []  # nothing pushed to this repository yet
        raise
    return sorted(answer.json().get("tags") or [])


def _check_image(
    client: registry.Client, repo: str, digest: str, want: platforms.Platform, where: str
) -> tuple[dict[str, Any], list[str]]:
    """The image's config, and every problem: a missing manifest, config or layer, or an image
    of another platform."""
    problems: list[str] = []
    if client.head_manifest(repo, digest) is None:
        return {}, [f"{where}: manifest {digest} does not exist"]
    image = client.get_manifest(repo, digest)
    if image.is_list:
        return {}, [f"{where}: {digest} is a list, expected an image manifest"]
    doc = image.json()
    for layer in doc.get("layers", []):
        if client.head_blob(repo, layer["digest"]) is None:
            problems.append(f"{where}: layer {layer['digest']} does not exist")
    config_digest = doc["config"]["digest"]
    if client.head_blob(repo, config_digest) is None:
        return {}, [*problems, f"{where}: config {config_digest} does not exist"]
    config: dict[str, Any] = json.loads(client.get_blob(repo, config_digest))
    if not platforms.matches(config, want):
        problems.append(
            f"{where}: image is {config.get('os')}/{config.get('architecture')}"
            f"/{config.get('variant')}, expected {want.oci}"
        )
    return config, problems


def registry_state(
    client: registry.Client, repo: str, arches: Sequence[str], list_tags: Sequence[str]
) -> RegistryState:
    """Read ``repo`` and check every tag in it (see the module docstring)."""
    state = RegistryState()
    want = [platforms.get_arch(a).platform for a in arches]
    for tag in _tags(client, repo):
        head = client.head_manifest(repo, tag)
        if head is None or head.digest is None:
            state.problems.append(f"tag {tag}: listed, but no manifest behind it")
            continue
        found = client.get_manifest(repo, tag)
        if tag.startswith("build-"):
            arch = tag.rsplit("-", 1)[1]
            if arch not in arches or found.is_list:
                state.problems.append(f"tag {tag}: not a key tag of this plan's images")
                continue
            config, problems = _check_image(
                client, repo, found.digest, platforms.get_arch(arch).platform, f"tag {tag}"
            )
            state.problems += problems
            key = (config.get("config") or {}).get("Labels", {}).get(KEY_LABEL, "")
            if config and not tag.startswith(f"build-{key[:12]}-"):
                state.problems.append(f"tag {tag}: image carries content key {key!r}")
            state.key_tags[arch] = found.digest
            state.key_tag_names[arch] = tag
            continue
        if tag not in list_tags or not found.is_list:
            state.problems.append(f"tag {tag}: not a manifest list of this release ({found})")
            continue
        entries = found.json().get("manifests", [])
        got = [_platform(e) for e in entries]
        if got != want:
            # no --keep-going: the policy allows a list only with every platform, in plan order
            state.problems.append(
                f"tag {tag}: list has {[p.oci for p in got]}, the policy allows only "
                f"{[p.oci for p in want]}"
            )
        for entry, platform in zip(entries, want, strict=False):
            _, problems = _check_image(
                client, repo, entry["digest"], platform, f"tag {tag} entry {platform.oci}"
            )
            state.problems += problems
        state.lists[tag] = found.digest
        state.entries[tag] = tuple(e["digest"] for e in entries)
        if oci.digest(found.content) != found.digest:
            state.problems.append(f"tag {tag}: list bytes do not hash to {found.digest}")
    return state


def _platform(entry: dict[str, Any]) -> platforms.Platform:
    p = entry.get("platform") or {}
    return platforms.Platform(str(p.get("os")), str(p.get("architecture")), p.get("variant"))
