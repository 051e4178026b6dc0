"""A release through a failing registry: ``build`` (pushes), ``manifest`` and ``report`` complete,
and publish exactly what a fault-free run publishes.

The small test family (``tests/data/build-family``, linux/amd64 and linux/386) is built for real
and pushed, through the fault proxy (``tests/faultproxy.py``) in front of the farm's registry, in
the CI fan-out's shape: ``build --push-by-digest --results``, then ``manifest --results``, then
``report`` of every tag. The engine pushes through the proxy too (it trusts 127.0.0.0/8 as an
insecure registry by default: no engine setting is changed).

The bounded test fails 30% of orchestrate's own registry requests (seeded) and a scripted fault
of each kind in the engine's push (a 503 on its manifest PUT, a reset blob HEAD, a truncated
upload POST, a 429 on a PATCH): the engine retries the layer uploads on its own (5 s, 10 s, …),
so failing 30% of its requests is the ``slow`` soak's business (several seeds, a few minutes
each). The fault-free reference pushes the same images with ``docker push`` into another
repository and publishes them with ``manifest``: every list and image must have the same digest.
Every fault injected into orchestrate's own requests must show as one retry; the figures are
printed as ``FIGURE`` lines (run with ``-s``).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from orchestrator import registry
from orchestrator.results import read_results, write_results
from tests.faultproxy import ENGINE, PRODUCT, FaultProxy, Plan, Rule, Stats, fault_proxy
from tests.integration.faultrun import (
    TAGS,
    VERSION,
    Run,
    check_complete,
    family_root,
    orchestrate,
    run_id,
)

RUN = run_id()
ARCHES = ("amd64", "i386")
# One fault of each kind in the engine's push, each once.
ENGINE_SCRIPT = (
    Rule("503", "PUT", "/manifests/", agent=ENGINE, times=1),
    Rule("reset", "HEAD", "/blobs/", agent=ENGINE, times=1),
    Rule("truncate", "POST", "/blobs/uploads/$", agent=ENGINE, times=1),
    Rule("429", "PATCH", "/blobs/uploads/", agent=ENGINE, times=1),
)


@dataclass(frozen=True)
class Release:
    """A release run through ``host``: its three commands, what the proxy saw, its lists."""

    repo: str
    runs: dict[str, Run]
    stats: Stats
    lists: dict[str, str]  # tag -> list digest, read back from the registry
    images: dict[str, str]  # job id -> image digest
    reports: dict[str, Any]  # tag -> JSON report


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return family_root(tmp_path_factory.mktemp("faults"), ARCHES)


@pytest.fixture(scope="module")
def upstream(farm: Any) -> str:
    return str(farm.registry_url).removeprefix("http://")


@pytest.fixture
def engine_tags() -> Iterator[list[str]]:
    """Image tags the test made in the engine; removed afterwards (the images stay when other
    tags name them)."""
    made: list[str] = []
    yield made
    for tag in made:
        subprocess.run(["docker", "rmi", tag], capture_output=True, check=False)


def release(
    root: Path, repo: str, proxy: FaultProxy, direct: registry.Client, reported: tuple[str, ...]
) -> Release:
    """``build --push-by-digest``, ``manifest`` and ``report`` of the ``reported`` tags through
    the proxy; the lists are then read back from the registry ``direct``ly."""
    host = proxy.host
    results = root / f"{repo.replace('/', '_')}.json"
    runs = {
        "build": orchestrate(root, "build", VERSION, "--registry", host, "--repository", repo,
                             "--push-by-digest", "--results", str(results)),
    }  # fmt: skip
    assert runs["build"].code == 0, runs["build"].show()
    runs["manifest"] = orchestrate(root, "manifest", VERSION, "--results", str(results))
    assert runs["manifest"].code == 0, runs["manifest"].show()
    refs = [f"{host}/{repo}:{tag}" for tag in reported]
    runs["report"] = orchestrate(None, "report", *refs, "--format", "json")
    assert runs["report"].code == 0, runs["report"].show()
    reports = dict(zip(reported, _json_documents(runs["report"].stdout), strict=True))
    _, jobs = read_results([str(results)])
    return Release(
        repo,
        runs,
        proxy.stats(),
        check_complete(direct, repo, platforms=len(ARCHES)),
        {j.job_id: str(j.digest) for j in jobs},
        reports,
    )


def _json_documents(text: str) -> list[Any]:
    decoder, out, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        doc, at = decoder.raw_decode(text, at)
        out.append(doc)
        at += len(text[at:]) - len(text[at:].lstrip())
    return out


def reference(root: Path, faulty: Release, direct: registry.Client, made: list[str]) -> Release:
    """The same images pushed by ``docker push`` into another repository, fault-free, and
    published there by ``manifest`` (the tags made in the engine go into ``made``)."""
    repo = f"{faulty.repo}-reference"
    source = root / f"{faulty.repo.replace('/', '_')}.json"
    version, jobs = read_results([str(source)])
    pushed = []
    for job in jobs:
        key_tag = f"build-{str(job.content_key)[:12]}-{job.job_id.rsplit('-', 1)[1]}"
        built, target = f"{job.repository}:{key_tag}", f"{direct.host}/{repo}:{key_tag}"
        made.extend([built, target])
        subprocess.run(["docker", "tag", built, target], check=True)
        out = subprocess.run(["docker", "push", target], capture_output=True, text=True, check=True)
        digest = re.findall(r"digest: (sha256:[0-9a-f]{64})", out.stdout)[-1]
        pushed.append(replace(job, repository=f"{direct.host}/{repo}", digest=digest))
    results = root / f"{repo.replace('/', '_')}.json"
    write_results(results, version, pushed)
    runs = {"manifest": orchestrate(root, "manifest", VERSION, "--results", str(results))}
    assert runs["manifest"].code == 0, runs["manifest"].show()
    runs["report"] = orchestrate(
        None, "report", *[f"{direct.host}/{repo}:{t}" for t in faulty.reports], "--format", "json"
    )
    assert runs["report"].code == 0, runs["report"].show()
    return Release(
        repo,
        runs,
        Stats(()),
        check_complete(direct, repo, platforms=len(ARCHES)),
        {j.job_id: str(j.digest) for j in pushed},
        dict(zip(faulty.reports, _json_documents(runs["report"].stdout), strict=True)),
    )


def docker_retries(root: Path) -> int:
    """The engine's own retries of layer uploads in the jobs' logs (each counts down to 1)."""
    logs = (root / "logs" / VERSION).glob("*.log")
    return sum(p.read_text(errors="replace").count("Retrying in 1 second") for p in logs)


def same_content(faulty: Release, clean: Release) -> None:
    assert sorted(faulty.lists) == sorted(TAGS) == sorted(clean.lists)
    assert faulty.lists == clean.lists  # byte-identical lists
    assert faulty.images == clean.images  # and images
    assert list(faulty.reports) == list(clean.reports)
    for tag in faulty.reports:
        a, b = faulty.reports[tag], clean.reports[tag]
        assert a["digest"] == b["digest"] == faulty.lists[tag]
        assert [p["digest"] for p in a["platforms"]] == [p["digest"] for p in b["platforms"]]
        assert json.dumps(a["platforms"], sort_keys=True) == json.dumps(
            b["platforms"], sort_keys=True
        )


def faulted_release(
    farm: Any,
    root: Path,
    upstream: str,
    plan: Plan,
    made: list[str],
    name: str,
    reported: tuple[str, ...] = TAGS,
) -> None:
    direct = registry.Client(str(farm.registry))
    repo = f"test11-faults-{RUN}/{name}"
    with fault_proxy(upstream, plan) as proxy:
        faulty = release(root, repo, proxy, direct, reported)
    requests = root / f"{name}-requests.json"  # every request the proxy saw, for a look
    requests.write_text(json.dumps([r.__dict__ for r in faulty.stats.records], indent=1))
    print(f"FIGURE {name}: the proxy's records: {requests}")
    clean = reference(root, faulty, direct, made)
    same_content(faulty, clean)
    own = faulty.stats.by(PRODUCT)
    retries = sum(len(r.retries) for r in faulty.runs.values())
    pushes = [e for e in faulty.runs["build"].retries if str(e.get("what", "")).startswith("push ")]
    product_retries = retries - len(pushes)
    engine = faulty.stats.by(ENGINE)
    print(f"FIGURE {name}: orchestrate's requests: {own.summary()}; retries: {product_retries}")
    print(
        f"FIGURE {name}: the engine's requests: {engine.summary()}; push retries by orchestrate: "
        f"{len(pushes)}; the engine's own retries: {docker_retries(root)}"
    )
    for command, run in faulty.runs.items():
        before = clean.runs.get(command)
        also = f" (fault-free: {before.seconds:.1f} s)" if before else ""
        print(f"FIGURE {name}: {command} {run.seconds:.1f} s{also}")
    # An answer without a body cut inside its header block still has its status line, and
    # Python's HTTP client takes what came of the headers as all of them: nothing to retry.
    cut = [r for r in own.records if r.fault == "truncate" and r.status is None]
    print(f"FIGURE {name}: answers cut inside their headers, taken as whole: {len(cut)}")
    assert own.injected > 0 and product_retries == own.injected - len(cut)
    assert engine.injected > 0 and len(pushes) + docker_retries(root) > 0


def test_thirty_percent_of_orchestrates_requests_and_each_push_fault_once(
    farm: Any, root: Path, upstream: str, engine_tags: list[str]
) -> None:
    plan = Plan(rate=0.3, seed=1, agent=PRODUCT, rules=ENGINE_SCRIPT)
    # Two tags reported (all four lists are checked): each report costs seconds of retries.
    reported = ("3.11.2", "3.11-tiny")
    faulted_release(farm, root, upstream, plan, engine_tags, "bounded-seed1", reported)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_thirty_percent_of_every_request_soak(
    farm: Any, root: Path, upstream: str, engine_tags: list[str], seed: int
) -> None:
    plan = Plan(rate=0.3, seed=seed)  # the engine's requests fail as often as orchestrate's
    faulted_release(farm, root, upstream, plan, engine_tags, f"soak-seed{seed}")
