"""``orchestrate build`` on the real farm with the small image family (tests/data/build-family).

The family is an honest Python: Debian bookworm's own python3 packages (3.11.2) for each target
architecture, unpacked on the build machine, so it builds in seconds for linux/amd64, linux/386,
linux/arm64/v8 and linux/arm/v7 (the last two only *run* under qemu: in the smoke test). Every
test drives the real command line in a subprocess (engine, buildx, qemu, registry all real) and
reads the outcome back from the registry.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator import oci, registry
from orchestrator.build import journal

DATA = Path(__file__).resolve().parents[1] / "data" / "build-family"
RUN_ID = uuid.uuid4().hex[:10]
VERSION = "3.11.2"
ORDER = ["linux/amd64", "linux/386", "linux/arm64/v8", "linux/arm/v7"]


def platform_of(entry: dict[str, Any]) -> str:
    p = entry["platform"]
    return "/".join(x for x in (p["os"], p["architecture"], p.get("variant")) if x)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository root of its own: the family's matrix.yml and template."""
    where = tmp_path_factory.mktemp("build-family")
    shutil.copytree(DATA, where, dirs_exist_ok=True)
    return where


def orchestrate(root: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CI": "1"},
        check=False,
    )


def events(stderr: str) -> list[dict[str, Any]]:
    out = []
    for line in stderr.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def test_build_smoke_push_and_publish_then_skip_everything(farm: Any, root: Path) -> None:
    host = str(farm.registry)
    repo = f"orchestrate-test/build-{RUN_ID}"
    first = orchestrate(root, "build", VERSION, "--registry", host, "--repository", repo)
    assert first.returncode == 0, first.stdout + first.stderr[-4000:]
    assert f"Jobs of {VERSION}: 4 built" in first.stdout
    # Every job ran its smoke test on its own platform (qemu for the arm ones) and pushed.
    names = [e["event"] for e in events(first.stderr)]
    assert names.count("job.smoke_test") == 4 and names.count("job.pushed") == 4
    for arch in ("amd64", "i386", "arm64v8", "arm32v7"):
        log = (root / "logs" / VERSION / f"{VERSION}-tiny-{arch}.log").read_text()
        assert "Python 3.11.2" in log and "imports ok: OpenSSL" in log and "(python 3.11)" in log

    client = registry.Client(host)
    tags = client.request("GET", f"/v2/{repo}/tags/list", repository=repo).json()["tags"]
    for tag in ("3.11.2", "3.11", "3.11.2-tiny", "3.11-tiny"):
        listed = client.get_manifest(repo, tag)
        assert listed.media_type == oci.MANIFEST_LIST
        entries = listed.json()["manifests"]
        assert [platform_of(e) for e in entries] == ORDER
        for entry in entries:  # each entry really is an image of its platform
            image = client.get_manifest(repo, entry["digest"]).json()
            config = json.loads(client.get_blob(repo, image["config"]["digest"]))
            assert (config["os"], config["architecture"]) == tuple(
                platform_of(entry).split("/")[:2]
            )
            key = config["config"]["Labels"]["io.orchestrate.content-key"]
            assert any(t.startswith(f"build-{key[:12]}-") for t in tags)  # the key tag

    # The report of each published tag, in the grammar that reads BuildKit history.
    md = (root / "reports" / repo / f"{VERSION}.md").read_text()
    assert md.startswith(f"## `{host}/{repo}:{VERSION}`\n") and "-\tPlatforms: 4\n" in md
    assert md.count("\nCOPY /rootfs / # buildkit\n") == 4
    assert md.count("\nENV LANG=C.UTF-8\n") == 4 and md.count('\nCMD ["python3"]\n') == 4
    assert "\nRUN ENV " not in md and "\nRUN COPY " not in md and "\nRUN RUN " not in md

    second = orchestrate(root, "build", VERSION, "--registry", host, "--repository", repo)
    assert second.returncode == 0, second.stdout + second.stderr[-4000:]
    assert f"Jobs of {VERSION}: 4 skipped" in second.stdout
    names = [e["event"] for e in events(second.stderr)]
    assert "job.building" not in names and "job.pushed" not in names
    assert second.stdout.count("unchanged: ") == 4


def interrupt_build(
    root: Path,
    host: str,
    repo: str,
    sig: int,
    when: Callable[[dict[str, Any]], bool],
    ready: Callable[[], bool] = lambda: True,
) -> tuple[int, str, str]:
    """``build`` with one slot; ``sig`` is sent at the first event ``when`` accepts, once
    ``ready()`` says so. Returns (exit code, stdout, stderr); the run must end within 2 min."""
    args = [
        sys.executable, "-m", "orchestrator.cli", "-C", str(root), "build", VERSION,
        "--registry", host, "--repository", repo, "--jobs", "1",
    ]  # fmt: skip
    env = {**os.environ, "CI": "1"}
    child = subprocess.Popen(
        args, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stderr is not None
    seen: list[str] = []
    try:
        for line in child.stderr:
            seen.append(line)
            if line.startswith("{") and when(json.loads(line)):
                deadline = time.monotonic() + 120
                while not ready() and time.monotonic() < deadline:
                    time.sleep(0.05)
                child.send_signal(sig)
                break
        out, rest_err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return child.returncode, out, "".join(seen) + rest_err


def test_interrupted_run_resumes_with_the_jobs_not_done(farm: Any, root: Path) -> None:
    host = str(farm.registry)
    repo = f"orchestrate-test/resume-{RUN_ID}"
    # Ctrl-C, right after the first job finished.
    code, out, err = interrupt_build(
        root, host, repo, signal.SIGINT, lambda e: e["event"] == "job.finished"
    )
    assert code == 130, out + err
    assert "Interrupted: no tag was published" in out
    path = journal.path_for(root / ".orchestrate", f"{host}/{repo}", VERSION)
    record = journal.load(path, VERSION)
    done = {j for j, e in record.items() if e.status == "built"}
    assert f"{VERSION}-tiny-amd64" in done and len(done) < 4
    assert {record[j].reason for j in record if j not in done} == {"interrupted"}
    client = registry.Client(host)
    assert client.head_manifest(repo, VERSION) is None  # nothing published

    started = time.monotonic()
    again = orchestrate(root, "build", VERSION, "--registry", host, "--repository", repo)
    assert again.returncode == 0, again.stdout + again.stderr[-4000:]
    skipped = again.stdout.count("unchanged: ")
    assert skipped == len(done)
    assert f"{4 - len(done)} built" in again.stdout
    assert time.monotonic() - started < 600
    assert [platform_of(e) for e in client.get_manifest(repo, VERSION).json()["manifests"]] == ORDER


def test_sigterm_during_an_emulated_smoke_test_ends_the_run_and_its_container(
    farm: Any, root: Path
) -> None:
    # The signal reaches pip inside a qemu-emulated container (the arm64v8 smoke test's last
    # check, whose imports take seconds under qemu). Without --init that python is PID 1 and,
    # under qemu, never exits after its KeyboardInterrupt: the run hung.
    host = str(farm.registry)
    repo = f"orchestrate-test/sigterm-{RUN_ID}"
    arm64 = f"{VERSION}-tiny-arm64v8"

    def containers() -> list[str]:
        ps = subprocess.run(
            ["docker", "ps", "--no-trunc", "--format", "{{.Image}} {{.Command}}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return [c for c in ps.stdout.splitlines() if c.startswith(f"{host}/{repo}:")]

    def pip_is_starting() -> bool:
        if any("-arm64v8 " in c and "pip --version" in c for c in containers()):
            time.sleep(1)  # into pip's imports, python's SIGINT handler installed
            return True
        return False

    code, out, err = interrupt_build(
        root, host, repo, signal.SIGTERM,
        when=lambda e: e["event"] == "job.smoke_test" and e["job"] == arm64,
        ready=pip_is_starting,
    )  # fmt: skip
    assert code == 130, out + err
    assert re.search(rf"not built +{re.escape(arm64)} +emulate +interrupted", out), out
    assert containers() == []
