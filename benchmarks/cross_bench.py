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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
    out = ROOT / ".orchestrate" / "bench" / f"{repo.rsplit('/', 1)[1]}.json"
    argv = [
        str(ROOT / ".venv/bin/orchestrate"), "-C", str(ROOT), "build", args.version,
        "--variant", args.variant, "--strategy", args.strategy, "--profile", args.profile,
        "--repository", repo, "--results", str(out),
    ]  # fmt: skip
    for arch in args.arch:
        argv += ["--arch", arch]
    started = time.monotonic()
    done = subprocess.run(argv, check=False, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    print(done.stdout)
    if done.returncode != 0:
        print(done.stderr[-4000:], file=sys.stderr)
        return done.returncode
    results = json.loads(out.read_text())["results"]
    native = next(r for r in results if r["job_id"].endswith("-amd64"))
    print(f"whole build: {elapsed:.0f} s; native amd64 job: {native['seconds']:.0f} s")
    print(f"{'job':<36} {'strategy':<8} {'seconds':>8} {'÷ amd64':>8}")
    for r in results:
        ratio = r["seconds"] / native["seconds"]
        print(f"{r['job_id']:<36} {r.get('strategy', '?'):<8} {r['seconds']:>8.0f} {ratio:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
