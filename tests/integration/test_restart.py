"""The registry and the engine restarted in the middle of ``orchestrate build``.

Neither is the farm's: the registry is a process of the test's own on its own port and storage
(``own_registry.py``: the farm's ``docker-registry`` binary, killed and started again by its
PID), the engine the second ``dockerd`` of ``second_engine.py`` (own socket, data root, bridge;
restarted as ``systemctl restart docker`` does: SIGTERM, wait, start on the same data root).
The build is the small family (tests/data/build-family) for amd64.

Registry: it is SIGKILLed as the image's push starts and comes back 3 s later (the push is
retried, by ``docker push`` itself or by orchestrate's retry policy, and succeeds: the run
recovers); it is SIGKILLed again once the image is pushed and stays
down (publishing gives up after its bounded retries: exit 3, one line naming the registry, no
traceback, no list). Started again on the same storage, the same command skips the pushed job
and publishes every tag.

Engine: the job is routed to the second engine (``--builder amd64=context:…``), which is
restarted (away about 5-10 s) while the job's ``buildx build`` runs on it. The build fails with
BuildKit's broken stream, is retried under the retry policy until the engine answers, and the
run recovers and publishes; the same command afterwards finds everything done. (An engine away
for longer than the policy's waits, about 15 s, fails the job with a one-line reason, exit 1.)

Both are marked ``slow`` (each builds, the engine test also starts a dockerd: 1.5 and 2.5 min
on the busy farm), to keep the default set short: ``scripts/test -m slow
tests/integration/test_restart.py`` runs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator import registry
from tests.integration import crashing
from tests.integration.own_registry import own_registry
from tests.integration.second_engine import SecondEngine, second_engine

DATA = Path(__file__).resolve().parents[1] / "data" / "build-family"
RUN_ID = uuid.uuid4().hex[:8]
VERSION = "3.11.2"
LIST_TAGS = ("3.11.2-tiny", "3.11-tiny", "3.11.2", "3.11")
JOB = f"{VERSION}-tiny-amd64"


def family(where: Path, *, host_network: bool = False) -> Path:
    """The small family; with ``host_network`` its template declares ``PYTHON_DOWNLOAD_BASE``,
    so that the build runs with ``--network host`` (the farm's mirror is loopback): the second
    engine's bridge has no NAT, and the family's apt needs the network."""
    shutil.copytree(DATA, where)
    if host_network:
        template = where / "templates" / "tiny" / "debian.Dockerfile.j2"
        text = template.read_text()
        first = text.index("\n", text.index("\nFROM ") + 1)
        template.write_text(text[: first + 1] + "ARG PYTHON_DOWNLOAD_BASE\n" + text[first + 1 :])
    return where


def rerun(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "CI": "1"},
    )  # fmt: skip


def retries(run_events: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    return [
        e for e in run_events if e["event"] == "retry" and str(e.get("what", "")).startswith(what)
    ]


@pytest.mark.slow
def test_registry_restarted_during_a_run(farm: Any, tmp_path: Path) -> None:
    root = family(tmp_path / "root")
    repo = f"test11-restart-{RUN_ID}/python"
    with own_registry() as reg:
        argv = crashing.orchestrate_argv(
            root, "build", VERSION, "--arch", "amd64", "--registry", reg.address,
            "--repository", repo,
        )  # fmt: skip
        run = crashing.start(argv, tmp_path / "run")
        try:
            crashing.wait_for_event(run, lambda e: e["event"] == "job.pushing")
            reg.restart(down=3.0)  # a crash as the push starts; back 3 s later
            crashing.wait_for_event(run, lambda e: e["event"] == "job.pushed", limit=300)
            reg.stop()  # a crash once the image is pushed; it stays down
            stopped = time.monotonic()
            code = run.popen.wait(timeout=300)
            gave_up = time.monotonic() - stopped
        finally:
            crashing.reap(run)
        seen = run.events()
        # the push met the restart and was retried: by the engine (docker push retries a layer
        # upload itself) or by orchestrate's retry policy
        pushed_log = (root / "logs" / VERSION / f"{JOB}.log").read_text()
        engine_retries = pushed_log.count("Retrying in ")
        assert engine_retries or retries(seen, f"push {JOB}"), pushed_log[-2000:]
        assert code == 3, run.stdout() + run.stderr()[-3000:]
        error = run.stderr().strip().splitlines()[-1]
        assert error.startswith("orchestrate build: error: ") and reg.address in error, error
        assert "Traceback" not in run.stderr()
        assert gave_up < 60

        reg.start()  # the same storage: the image pushed before the crash is there
        client = registry.Client(reg.address)
        between = crashing.registry_state(client, repo, ("amd64",), LIST_TAGS)
        assert between.problems == [] and between.lists == {}
        assert set(between.key_tags) == {"amd64"}

        again = rerun(argv)
        assert again.returncode == 0, again.stdout + again.stderr[-3000:]
        assert f"Jobs of {VERSION}: 1 skipped" in again.stdout
        final = crashing.registry_state(client, repo, ("amd64",), LIST_TAGS)
        assert final.problems == [] and sorted(final.lists) == sorted(LIST_TAGS)
        assert final.key_tags == between.key_tags
        print(
            f"registry restart during the push: recovered (engine retry messages: "
            f"{engine_retries}, orchestrate push retries: {len(retries(seen, f'push {JOB}'))}); "
            f"registry left down after the push: exit {code} after {gave_up:.0f}s: {error}"
        )
    subprocess.run(
        ["docker", "image", "rm", f"{reg.address}/{repo}:{final.key_tag_names['amd64']}"],
        capture_output=True, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def d2(farm: Any) -> Iterator[SecondEngine]:
    with second_engine(mirror=str(farm.registry), context="orchestrate-test-d2-restart") as engine:
        yield engine


@pytest.mark.slow
def test_engine_restarted_during_a_run(farm: Any, d2: SecondEngine, tmp_path: Path) -> None:
    root = family(tmp_path / "root", host_network=True)
    repo = f"test11-engine-{RUN_ID}/python"
    host = str(farm.registry)
    argv = crashing.orchestrate_argv(
        root, "build", VERSION, "--arch", "amd64", "--builder", f"amd64=context:{d2.context}",
        "--registry", host, "--repository", repo,
    )  # fmt: skip
    run = crashing.start(argv, tmp_path / "run")
    try:
        crashing.wait_for_event(run, lambda e: e["event"] == "job.building")
        time.sleep(8)  # into the build's RUN steps
        assert run.popen.poll() is None
        stopping = time.monotonic()
        d2.restart(down=2.0)
        away = time.monotonic() - stopping
        code = run.popen.wait(timeout=900)
    finally:
        crashing.reap(run)
    out, err = run.stdout(), run.stderr()
    log = (root / "logs" / VERSION / f"{JOB}.log").read_text()
    assert "Traceback" not in err
    # The build met the restart (BuildKit's stream broke, then the socket was not there) and was
    # retried until the engine answered again: the run recovered and published.
    assert "error reading from server: EOF" in log or "Cannot connect" in log, log[-3000:]
    built = retries(run.events(), f"build {JOB}")
    assert code == 0 and built, f"engine away {away:.0f}s; exit {code}\n{out}\n{log[-3000:]}"
    assert f"Jobs of {VERSION}: 1 built" in out
    client = registry.Client(host)
    after = crashing.registry_state(client, repo, ("amd64",), LIST_TAGS)
    assert after.problems == [] and sorted(after.lists) == sorted(LIST_TAGS)

    again = rerun(argv)  # and the same command afterwards finds everything done
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert f"Jobs of {VERSION}: 1 skipped" in again.stdout
    final = crashing.registry_state(client, repo, ("amd64",), LIST_TAGS)
    assert final.problems == [] and final.lists == after.lists
    print(
        f"engine restart during the build: away {away:.1f}s, the build retried {len(built)}x "
        f"and the run recovered (exit 0); the same command then: exit 0, 1 skipped"
    )
