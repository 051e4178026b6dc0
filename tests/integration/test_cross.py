"""The cross strategy on the real farm, with the small image family (tests/data/build-family plus
the cross template of tests/data/cross-family): two foreign architectures cross-built in
seconds, checked for conformance under qemu, published; and a deliberately wrong interpreter
(an armel Python in a linux/arm/v7 image: the classic wrong ``--host``) that passes the smoke
test and is stopped by the conformance check before anything is published.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from orchestrator import oci, registry
from tests.integration.test_build import DATA, VERSION, events, orchestrate, platform_of

CROSS_DATA = Path(__file__).resolve().parents[1] / "data" / "cross-family"
RUN_ID = uuid.uuid4().hex[:10]
ARCHES = ("--arch", "amd64", "--arch", "arm64v8", "--arch", "arm32v7")
# The conformance tests of this family: quick under qemu, in Debian's test suite package.
TESTS = "conformance_tests: [test_struct, test_int]\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(DATA, tmp_path, dirs_exist_ok=True)
    shutil.copytree(CROSS_DATA / "templates", tmp_path / "templates", dirs_exist_ok=True)
    matrix = tmp_path / "matrix.yml"
    matrix.write_text(matrix.read_text() + TESTS)
    return tmp_path


def test_two_foreign_architectures_cross_built_checked_and_published(farm: Any, root: Path) -> None:
    host = str(farm.registry)
    repo = f"orchestrate-test/cross-{RUN_ID}"
    done = orchestrate(root, "build", VERSION, *ARCHES, "--registry", host, "--repository", repo)
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    out = done.stdout
    assert f"Jobs of {VERSION}: 3 built" in out
    for arch, how in (("amd64", "native"), ("arm64v8", "cross"), ("arm32v7", "cross")):
        assert any(
            line.split()[:2] == ["built", f"{VERSION}-tiny-{arch}"] and how in line.split()
            for line in out.splitlines()
        ), out
    names = [(e["event"], e.get("job")) for e in events(done.stderr)]
    for arch in ("arm64v8", "arm32v7"):
        job = f"{VERSION}-tiny-{arch}"
        assert ("job.conformance", job) in names
        log = (root / "logs" / VERSION / f"{job}.log").read_text()
        assert "conformance: passed" in log
        assert "Tests result: SUCCESS" in log
    # the cross jobs started after the native amd64 job, whose pushed image, by digest, is
    # their build-python stage (nothing taken from the build cache for it)
    order = [j for e, j in names if e == "job.building"]
    assert order.index(f"{VERSION}-tiny-amd64") < order.index(f"{VERSION}-tiny-arm64v8")
    native = next(
        e["digest"]
        for e in events(done.stderr)
        if e["event"] == "job.finished" and e["job"] == f"{VERSION}-tiny-amd64"
    )
    for arch in ("arm64v8", "arm32v7"):
        log = (root / "logs" / VERSION / f"{VERSION}-tiny-{arch}.log").read_text()
        assert f"FROM {host}/{repo}@{native}" in log, log[:3000]

    client = registry.Client(host)
    listed = client.get_manifest(repo, VERSION)
    assert listed.media_type == oci.MANIFEST_LIST
    entries = listed.json()["manifests"]
    assert [platform_of(e) for e in entries] == ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]
    for entry in entries:
        image = client.get_manifest(repo, entry["digest"]).json()
        config = json.loads(client.get_blob(repo, image["config"]["digest"]))
        assert (config["os"], config["architecture"]) == tuple(platform_of(entry).split("/")[:2])
        labels = config["config"]["Labels"]
        want = "native" if entry["platform"]["architecture"] == "amd64" else "cross"
        assert labels["io.orchestrate.strategy"] == want


def test_a_wrong_interpreter_fails_the_conformance_check_and_nothing_is_published(
    farm: Any, root: Path
) -> None:
    matrix = root / "matrix.yml"
    anchor = "    pgo: false\n"
    matrix.write_text(
        matrix.read_text().replace(anchor, anchor + "    build_args: {TINY_DEBIAN_ARCH: armel}\n")
    )
    host = str(farm.registry)
    repo = f"orchestrate-test/cross-wrong-{RUN_ID}"
    args = ("--arch", "amd64", "--arch", "arm32v7", "--registry", host, "--repository", repo)
    done = orchestrate(root, "build", VERSION, *args)
    assert done.returncode == 1, done.stdout + done.stderr[-4000:]
    job = f"{VERSION}-tiny-arm32v7"
    failed = next(ln for ln in done.stdout.splitlines() if ln.split()[:2] == ["failed", job])
    assert "conformance: MULTIARCH is 'arm-linux-gnueabi'" in failed, failed
    log = (root / "logs" / VERSION / f"{job}.log").read_text()
    assert "imports ok: OpenSSL" in log  # the smoke test passed: only conformance caught it
    client = registry.Client(host)
    assert client.head_manifest(repo, VERSION) is None  # nothing published
