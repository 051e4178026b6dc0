"""``orchestrate build`` SIGKILLed at random points of a multi-platform run, then run again.

The small image family (tests/data/build-family: Debian bookworm's own python3, real builds,
smoke tests under qemu for arm64) is built for linux/amd64, linux/386 and linux/arm64/v8 (the
bounded test: amd64 and i386) into a fresh repository of the farm's registry per kill. Each
iteration:

1. starts the real command line and SIGKILLs the orchestrator after a seeded random delay spread
   over a run's duration (or at a chosen log event): only its PID, as the OOM killer does, and
   its ``docker`` commands must then end by themselves within 10 s (the kernel sends them
   SIGTERM: ``proc`` ties them to it); every other kill takes the whole process tree;
2. reads the registry directly (``crashing.registry_state``): every tag names a manifest,
   config and layers that exist, every published list has all the platforms in plan order
   (no ``--keep-going``: the policy allows nothing less), every key tag is its platform's image
   with its content key;
3. runs the same command again: it must exit 0, publish every tag with every platform, and skip
   (not rebuild) every job whose key tag was in the registry before it started: the journal
   says ``skipped`` for exactly them (and ``built`` for the others), the log has no
   ``job.building`` for them, and the published lists name exactly the images that were pushed
   before the kill.

The bounded version (amd64 and i386, one kill; ``ORCHESTRATE_CRASH_BOUNDED`` for more) runs by
default; ``test_crash_loop`` (marked slow) runs 20 random kills plus kills at the start of a
push, between two list PUTs and between two reports, and prints one line per kill (``-rP``
shows them).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestrator import registry
from orchestrator.build import journal
from tests.integration import crashing

DATA = Path(__file__).resolve().parents[1] / "data" / "build-family"
RUN_ID = uuid.uuid4().hex[:8]
VERSION = "3.11.2"
ARCHES = ("amd64", "i386", "arm64v8")
LIST_TAGS = ("3.11.2-tiny", "3.11-tiny", "3.11.2", "3.11")
SEED = int(os.environ.get("ORCHESTRATE_CRASH_SEED", "11"))
BOUNDED = int(os.environ.get("ORCHESTRATE_CRASH_BOUNDED", "1"))
BOUNDED_ARCHES = ("amd64", "i386")
# Seconds the docker commands of a killed orchestrator may go on (SIGTERM reaches them at once).
ORPHANS_END = 10.0


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("crash-family")
    shutil.copytree(DATA, where, dirs_exist_ok=True)
    return where


@dataclass
class Kill:
    """What one kill and the run after it did."""

    n: int
    repo: str
    killed_after: float | None
    phase: str  # the last event before the kill
    whole_tree: bool
    orphans_lasted: float | None  # seconds its docker commands went on after it (alone killed)
    pushed: tuple[str, ...]  # arches whose key tag was in the registry after the kill
    published: tuple[str, ...]  # tags published before the kill
    skipped: tuple[str, ...]  # arches the run after it skipped
    built: tuple[str, ...]  # arches the run after it built
    rerun_seconds: float

    def line(self) -> str:
        how = "tree" if self.whole_tree else f"alone, its commands ended {self.orphans_lasted}s on"
        return (
            f"kill {self.n:2d}: after {self.killed_after}s ({self.phase}), {how}; in the registry: "
            f"key tags {list(self.pushed)}, lists {list(self.published)}; "
            f"re-run {self.rerun_seconds}s skipped {list(self.skipped)} built {list(self.built)}"
        )


def build_argv(root: Path, host: str, repo: str, arches: tuple[str, ...] = ARCHES) -> list[str]:
    flags = [a for arch in arches for a in ("--arch", arch)]
    return crashing.orchestrate_argv(
        root, "build", VERSION, *flags, "--registry", host, "--repository", repo
    )


def job_arch(job_id: str) -> str:
    return job_id.rsplit("-", 1)[1]


def crash_once(
    farm: Any,
    root: Path,
    where: Path,
    n: int,
    *,
    delay: float | None = None,
    at_event: str | None = None,
    whole_tree: bool,
    local_images: list[str],
    arches: tuple[str, ...] = ARCHES,
    label: str = "loop",
) -> Kill | float:
    """One kill and the run after it (see the module docstring); when the run ended (completed)
    before the kill came, the seconds it took instead (nothing was killed: it does not count)."""
    host = str(farm.registry)
    repo = f"test11-crash-{RUN_ID}-{label}-{n}/python"
    argv = build_argv(root, host, repo, arches)
    client = registry.Client(host)
    run = crashing.start(argv, where / f"{n}-killed")
    killed = crashing.kill_at(
        run,
        delay=delay,
        event=(lambda e: e.get("event") == at_event) if at_event else None,
        extra=0.0,
    )
    lasted: float | None = 0.0
    if whole_tree:
        crashing.reap(run)
    elif killed:
        # its docker commands end with it (SIGTERM from the kernel: proc ties them to it)
        lasted = crashing.orphans_lasted(run)
    try:
        seen = run.events()
        phase = "/".join(str(e.get(k)) for e in seen[-1:] for k in ("event", "job") if e.get(k))
        after_kill = crashing.registry_state(client, repo, arches, LIST_TAGS)
        assert after_kill.problems == [], f"after kill {n} ({phase}): {after_kill.problems}"
        assert "Traceback" not in run.stderr()
        if not killed:
            assert run.popen.returncode == 0, run.stdout() + run.stderr()[-3000:]
            assert sorted(after_kill.lists) == sorted(LIST_TAGS)
            local_images += [f"{host}/{repo}:{t}" for t in after_kill.key_tag_names.values()]
            return round(time.monotonic() - run.started, 1)
        assert lasted is not None and lasted <= ORPHANS_END, f"docker commands ran on: {lasted}"

        started = time.monotonic()
        again = subprocess.run(
            argv, capture_output=True, text=True, timeout=900, check=False,
            env={**os.environ, "CI": "1"},
        )  # fmt: skip
        seconds = round(time.monotonic() - started, 1)
        assert again.returncode == 0, again.stdout + again.stderr[-4000:]
        assert "Traceback" not in again.stderr
    finally:
        crashing.reap(run)

    record = journal.load(
        journal.path_for(root / ".orchestrate", f"{host}/{repo}", VERSION), VERSION
    )
    status = {job_arch(j): e.status for j, e in record.items()}
    skipped = tuple(a for a in arches if status.get(a) == "skipped")
    built = tuple(a for a in arches if status.get(a) == "built")
    assert set(skipped) | set(built) == set(arches), status
    # Nothing that was pushed before the kill was built again, everything else was ...
    assert set(after_kill.key_tags) == set(skipped), (after_kill.key_tags, status)
    building = {
        job_arch(e["job"]) for e in crashing.events(again.stderr) if e["event"] == "job.building"
    }
    assert building == set(built), (building, built)
    # ... and the release is complete: every tag, every platform, the images pushed before.
    final = crashing.registry_state(client, repo, arches, LIST_TAGS)
    assert final.problems == []
    assert sorted(final.lists) == sorted(LIST_TAGS)
    for tag in LIST_TAGS:
        named = dict(zip(arches, final.entries[tag], strict=True))
        for arch, digest in after_kill.key_tags.items():
            assert named[arch] == digest, f"{tag}: {arch} is {named[arch]}, pushed was {digest}"
    leftovers = sorted(str(p) for p in root.rglob("*.tmp"))
    assert leftovers == [], f"temporary files left behind: {leftovers}"
    local_images += [f"{host}/{repo}:{t}" for t in final.key_tag_names.values()]
    return Kill(
        n,
        repo,
        run.killed_after,
        phase,
        whole_tree,
        None if whole_tree else lasted,
        tuple(sorted(after_kill.key_tags)),
        tuple(sorted(after_kill.lists)),
        skipped,
        built,
        seconds,
    )


def crash_loop(
    farm: Any,
    root: Path,
    where: Path,
    local_images: list[str],
    *,
    kills: int,
    seed: int,
    events: tuple[str, ...] = (),
    arches: tuple[str, ...] = ARCHES,
    label: str = "loop",
) -> list[Kill]:
    """``kills`` kills at seeded random delays spread over a run's duration, then one at each of
    ``events``. The duration is measured first (an uninterrupted run into a repository of its
    own) and follows the machine's pace: a run that ends before its kill (it completed; it is
    checked, and does not count) shortens it to that run's length, and the kill is drawn again
    (at most twice as many draws as kills)."""
    host = str(farm.registry)
    reference = f"test11-crash-{RUN_ID}-{label}-0/python"
    started = time.monotonic()
    whole = subprocess.run(
        build_argv(root, host, reference, arches),
        capture_output=True,
        text=True, timeout=900, check=False, env={**os.environ, "CI": "1"},
    )  # fmt: skip
    span = round(time.monotonic() - started, 1)
    assert whole.returncode == 0, whole.stdout + whole.stderr[-3000:]
    print(f"an uninterrupted run of {', '.join(arches)}: {span}s", flush=True)
    names = crashing.registry_state(registry.Client(host), reference, arches, LIST_TAGS)
    local_images += [f"{host}/{reference}:{t}" for t in names.key_tag_names.values()]
    rng = random.Random(seed)
    done: list[Kill] = []
    n = 0
    while len(done) < kills and n < 2 * kills:
        n += 1
        kill = crash_once(
            farm, root, where, n, delay=round(rng.uniform(0.5, span), 2),
            whole_tree=n % 2 == 0, local_images=local_images, arches=arches, label=label,
        )  # fmt: skip
        if isinstance(kill, Kill):
            done.append(kill)
            print(kill.line(), flush=True)
        else:
            print(f"draw {n:2d}: the run completed in {kill}s, before its kill", flush=True)
            span = min(span, kill)
    for event in events:
        n += 1
        kill = crash_once(
            farm, root, where, n, at_event=event, whole_tree=False, local_images=local_images,
            arches=arches, label=label,
        )  # fmt: skip
        assert isinstance(kill, Kill), f"the run ended before {event}"
        done.append(kill)
        print(kill.line(), flush=True)
    return done


def test_sigkill_at_a_random_point_then_the_same_command_completes(
    farm: Any, root: Path, tmp_path: Path, local_images: list[str]
) -> None:
    kills = crash_loop(
        farm, root, tmp_path, local_images,
        kills=BOUNDED, seed=SEED, arches=BOUNDED_ARCHES, label="bounded",
    )  # fmt: skip
    assert len(kills) == BOUNDED
    print(f"kills survived: {len(kills)}")


@pytest.mark.slow
def test_crash_loop(farm: Any, root: Path, tmp_path: Path, local_images: list[str]) -> None:
    """20 kills (``ORCHESTRATE_CRASH_KILLS``) spread over the duration of the run, then one at
    each of three short windows."""
    wanted = int(os.environ.get("ORCHESTRATE_CRASH_KILLS", "20"))
    kills = crash_loop(
        farm, root, tmp_path, local_images,
        kills=wanted, seed=SEED + 1000,
        events=("job.pushing", "registry.manifest_put", "report.written"),
    )  # fmt: skip
    assert len(kills) >= wanted + 3
    print(f"kills survived: {len(kills)}")
