"""Wall time of each cross job against the native amd64 job, side by side in one build.

Usage::

    .venv/bin/python benchmarks/cross_bench.py [--variant slim-bookworm] [--profile quick]
        [--arch A ...] [--strategy cross] [--keep-cache]

Runs ``orchestrate build 3.13.5 --variant V --strategy S`` against a repository of its own on
the local farm (so no job is skipped as already built), after ``docker builder prune -af``
unless ``--keep-cache`` (a first run: the native job builds from nothing and every cross job
installs its toolchain). The cross jobs start after the native amd64 job (their build-python
stage is its image, from the cache), so each job's wall time is its own: build, smoke test,
conformance check and push, as the summary prints it. Prints every job's time and strategy,
and each non-native job's ratio to the native amd64 job; results go in docs/build-times.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

from orchestrator.build import journal

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = "localhost:5000"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--version", default="3.13.5")
    ap.add_argument("--variant", default="slim-bookworm")
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--strategy", default="cross")
    ap.add_argument("--arch", action="append", default=[])
    ap.add_argument("--keep-cache", action="store_true")
    args = ap.parse_args()
    if not args.keep_cache:
        subprocess.run(["docker", "builder", "prune", "-af"], check=True, capture_output=True)
    repo = f"bench/python-{uuid.uuid4().hex[:8]}"
    argv = [
        str(ROOT / ".venv/bin/orchestrate"), "-C", str(ROOT), "build", args.version,
        "--variant", args.variant, "--strategy", args.strategy, "--profile", args.profile,
        "--registry", REGISTRY, "--repository", repo, "--keep-going",
    ]  # fmt: skip
    for arch in args.arch:
        argv += ["--arch", arch]
    started = time.monotonic()
    done = subprocess.run(argv, check=False, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    print(done.stdout)
    if done.returncode != 0:  # --keep-going: the jobs that were built still have their times
        print(done.stderr[-4000:], file=sys.stderr)
    events = ROOT / ".orchestrate" / "bench" / f"{repo.rsplit('/', 1)[1]}.events"
    events.parent.mkdir(parents=True, exist_ok=True)
    events.write_text(done.stderr)
    # each job's wall time as the build's journal recorded it when the job finished
    path = journal.path_for(ROOT / ".orchestrate", f"{REGISTRY}/{repo}", args.version)
    jobs = journal.load(path, args.version)
    native = next(e for job_id, e in jobs.items() if job_id.endswith("-amd64"))
    if not native.seconds:
        return done.returncode or 1
    print(f"whole build: {elapsed:.0f} s; native amd64 job: {native.seconds:.0f} s")
    print(f"{'job':<36} {'strategy':<8} {'seconds':>8} {'÷ amd64':>8}")
    for job_id, e in jobs.items():
        seconds = e.seconds or 0.0
        ratio = seconds / native.seconds
        print(f"{job_id:<36} {e.strategy or '?':<8} {seconds:>8.0f} {ratio:>8.2f}  {e.status}")
    print()
    print_steps(done.stderr)
    return done.returncode


STEPS = ("job.building", "job.smoke_test", "job.conformance", "job.pushing", "job.pushed")


def print_steps(stderr: str) -> None:
    """Each job's seconds per step, from the build's event lines (one JSON object per line)."""
    seen: dict[str, dict[str, datetime]] = {}
    for line in stderr.splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event.get("event") in STEPS and "job" in event:
            when = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
            seen.setdefault(event["job"], {})[event["event"]] = when
    print(f"{'job':<36} " + " ".join(f"{s.split('.')[1]:>11}" for s in STEPS[:-1]))
    for job_id, steps in seen.items():
        cells = []
        for i, step in enumerate(STEPS[:-1]):
            start = steps.get(step)
            end = next((steps[s] for s in STEPS[i + 1 :] if s in steps), None)
            cells.append(f"{(end - start).total_seconds():>11.0f}" if start and end else " " * 11)
        print(f"{job_id:<36} " + " ".join(cells))


if __name__ == "__main__":
    sys.exit(main())
