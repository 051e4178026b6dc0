"""``orchestrate manifest`` against the farm's registry: lists really pushed and read back.

Per-platform images are really built and pushed by the engine (``docker buildx build --push``):
linux/amd64 and linux/386 from scratch, linux/arm64 on the farm's arm64v8 busybox with a RUN
step executed under qemu. No Windows engine exists here, so a FAKE Windows image (named so,
``tests.fakes.windows``) is pushed through the registry API: a config with ``"os": "windows"``
and a full ``os.version``, a foreign base layer with ``urls``. Results files are written as the
per-arch CI jobs would (``write_results``), then the installed ``orchestrate`` CLI runs as a
subprocess, and the lists are read back with ``docker buildx imagetools inspect --raw`` and the
registry API.

Each test uses its own line of a small test matrix (9.9, 9.8, …), so its tags are its own while
all lines share the same per-platform images in one repository.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from orchestrator import oci, proc, registry
from orchestrator.platforms import ARCHES
from orchestrator.results import JobResult, JobStatus, write_results
from tests.fakes.farm import Farm, FarmRepository, Image
from tests.fakes.windows import push_fake_windows_image

RUN_ID = uuid.uuid4().hex[:10]
PLANNED_OS_VERSION = "10.0.20348.2340"  # what matrix.yml says (an older patch level)
IMAGE_OS_VERSION = "10.0.20348.2527"  # what the (fake) image config says: the list must use this
LINUX = ("amd64", "arm64v8", "i386")
ARCH_ORDER = (*LINUX, "windows-amd64")
LINES = ("9.9", "9.8", "9.7", "9.6", "9.5", "9.4")
SHA = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"


def _matrix() -> str:
    lines = "".join(
        f'  "{line}":\n'
        f"    version: {line}.0\n"
        f"    sha256: {SHA}\n"
        f"    defaults:\n"
        f"      debian: bookworm\n"
        f"    variants: [bookworm, windowsservercore-ltsc2022]\n"
        for line in LINES
    )
    return (
        "schema: 1\n"
        "builders: {}\n"
        "profile_tasks: {}\n"
        "variants:\n"
        "  bookworm:\n"
        "    family: debian\n"
        "    template: modern\n"
        "    parent: buildpack-deps:bookworm\n"
        f"    arches: [{', '.join(LINUX)}]\n"
        "  windowsservercore-ltsc2022:\n"
        "    family: windowsservercore\n"
        "    template: modern\n"
        "    parent: mcr.microsoft.com/windows/servercore:ltsc2022\n"
        f"    os_version: {PLANNED_OS_VERSION}\n"
        "    arches: [windows-amd64]\n"
        "lines:\n" + lines
    )


def _job_id(version: str, arch: str) -> str:
    variant = "windowsservercore-ltsc2022" if arch == "windows-amd64" else "bookworm"
    return f"{version}-{variant}-{arch}"


def _build(context: Path, platform: str, ref: str) -> None:
    proc.run_command(
        ["docker", "buildx", "build", "--platform", platform, "--provenance=false",
         "--push", "--tag", ref, str(context)],
        timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def farmed(farm: Farm, tmp_path_factory: pytest.TempPathFactory) -> FarmRepository:
    host = farm.registry
    repo = f"orchestrate-test/manifest-{RUN_ID}"
    client = registry.Client(host)
    scratch = tmp_path_factory.mktemp("scratch-ctx")
    (scratch / "hello.txt").write_text(f"hello from {RUN_ID}\n")
    (scratch / "Dockerfile").write_text(
        "FROM scratch\nARG TARGETPLATFORM\nCOPY hello.txt /hello.txt\n"
        "LABEL org.example.platform=$TARGETPLATFORM\n"
    )
    emulated = tmp_path_factory.mktemp("arm64-ctx")
    # A real RUN under qemu: the farm's arm64v8 busybox (an emulated platform).
    (emulated / "Dockerfile").write_text(
        f"FROM {host}/arm64v8/busybox:latest\n"
        f'RUN uname -m > /arch && test "$(cat /arch)" = aarch64 && echo {RUN_ID} > /run-id\n'
    )
    _build(scratch, "linux/amd64", f"{host}/{repo}:build-amd64")
    _build(scratch, "linux/386", f"{host}/{repo}:build-i386")
    _build(emulated, "linux/arm64", f"{host}/{repo}:build-arm64v8")
    push_fake_windows_image(
        client,
        repo,
        run_id=RUN_ID,
        os_version=IMAGE_OS_VERSION,
        history=[{"created": "2025-06-11T00:00:00Z", "created_by": "Apply image ltsc2022"}],
        foreign_size=1234567890,
    )
    images: dict[str, Image] = {}
    for arch, tag in (
        ("amd64", "build-amd64"),
        ("i386", "build-i386"),
        ("arm64v8", "build-arm64v8"),
        ("windows-amd64", "fake-windows"),
    ):
        m = client.get_manifest(repo, tag)
        assert not m.is_list, f"{tag} is a list; the per-platform image must be a manifest"
        images[arch] = Image(arch, m.digest, m.media_type, len(m.content))
    root = tmp_path_factory.mktemp("root")
    (root / "matrix.yml").write_text(_matrix())
    return FarmRepository(farm, repo, client, images, root)


def _results(
    farmed: FarmRepository,
    version: str,
    out: Path,
    overrides: Mapping[str, tuple[JobStatus, str | None, str | None]] | None = None,
) -> None:
    """One results file per architecture, as each CI job of the fan-out writes it."""
    overrides = overrides or {}
    shutil.rmtree(out, ignore_errors=True)
    for arch in ARCH_ORDER:
        image = farmed.images[arch]
        status, digest, reason = overrides.get(arch, (JobStatus.BUILT, image.digest, None))
        platform = ARCHES[arch].platform
        if arch == "windows-amd64":
            platform = platform.with_os_version(PLANNED_OS_VERSION)
        result = JobResult(
            job_id=_job_id(version, arch),
            status=status,
            platform=platform,
            repository=farmed.name,
            digest=digest,
            content_key=hashlib.sha256(f"{version}-{arch}".encode()).hexdigest(),
            seconds=1.5 if status is JobStatus.BUILT else None,
            reason=reason,
            log_tail=("error: boom",) if status is JobStatus.FAILED else (),
        )
        write_results(out / f"{arch}.json", version, [result])


def _orchestrate(farmed: FarmRepository, *args: str) -> proc.Completed:
    """The installed console script, as CI runs it."""
    exe = Path(sys.executable).with_name("orchestrate")
    argv = [str(exe), "-C", str(farmed.root), "--log-format", "json", *args]
    return proc.run_command(argv, check=False, timeout=300)


def _raw(ref: str) -> dict[str, Any]:
    done = proc.run_command(
        ["docker", "buildx", "imagetools", "inspect", "--raw", ref], timeout=120
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _tag_digest(farmed: FarmRepository, tag: str) -> str | None:
    head = farmed.client.head_manifest(farmed.repo, tag)
    return None if head is None else head.digest


def _expected_entries(farmed: FarmRepository, arches: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for arch in arches:
        image = farmed.images[arch]
        platform = ARCHES[arch].platform
        if arch == "windows-amd64":
            platform = platform.with_os_version(IMAGE_OS_VERSION)
        out.append(
            {
                "mediaType": image.media_type,
                "size": image.size,
                "digest": image.digest,
                "platform": platform.to_json(),
            }
        )
    return out


def test_lists_read_back_with_exact_platforms_order_and_digests(
    farmed: FarmRepository, tmp_path: Path
) -> None:
    _results(farmed, "9.9.0", tmp_path / "out")
    done = _orchestrate(farmed, "manifest", "9.9.0", "--results", str(tmp_path / "out/*.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"manifest lists for 9.9.0 in {farmed.name}: 8 of 8 tags published" in done.stdout

    shared = _raw(f"{farmed.name}:9.9.0")
    assert shared["mediaType"] == oci.MANIFEST_LIST
    # plan order: bookworm's arches as listed (amd64, arm64v8, i386), then the Windows variant;
    # arm64 carries variant v8, Windows the os.version of its image config (not the matrix's)
    assert shared["manifests"] == _expected_entries(farmed, ARCH_ORDER)
    assert shared["manifests"][1]["platform"] == {
        "architecture": "arm64",
        "os": "linux",
        "variant": "v8",
    }
    assert shared["manifests"][3]["platform"]["os.version"] == IMAGE_OS_VERSION

    bookworm = _raw(f"{farmed.name}:9.9-bookworm")
    assert bookworm["manifests"] == _expected_entries(farmed, LINUX)
    windows = _raw(f"{farmed.name}:9.9.0-windowsservercore")
    assert windows["manifests"] == _expected_entries(farmed, ["windows-amd64"])

    # the digest printed in the summary is the one the registry holds for the tag
    for tag in ("9.9.0", "9.9", "9.9.0-bookworm", "9.9-windowsservercore-ltsc2022"):
        digest = _tag_digest(farmed, tag)
        assert digest is not None
        assert any(
            line.split()[:3] == ["published", tag, digest] for line in done.stdout.splitlines()
        ), done.stdout
        listed = farmed.client.get_manifest(farmed.repo, tag)
        assert hashlib.sha256(listed.content).hexdigest() == digest[7:]

    # a second run changes nothing and says so
    before = {t: _tag_digest(farmed, t) for t in ("9.9.0", "9.9-bookworm")}
    again = _orchestrate(farmed, "manifest", "9.9.0", "--results", str(tmp_path / "out/*.json"))
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("unchanged") == 8
    assert {t: _tag_digest(farmed, t) for t in before} == before


def test_oci_index_flag(farmed: FarmRepository, tmp_path: Path) -> None:
    _results(farmed, "9.8.0", tmp_path / "out")
    done = _orchestrate(
        farmed, "manifest", "9.8.0", "--results", str(tmp_path / "out/*.json"), "--oci"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    index = _raw(f"{farmed.name}:9.8.0")
    assert index["mediaType"] == oci.OCI_INDEX
    assert index["manifests"] == _expected_entries(farmed, ARCH_ORDER)
    head = farmed.client.head_manifest(farmed.repo, "9.8.0")
    assert head is not None and head.media_type == oci.OCI_INDEX


def test_held_tag_keeps_its_previous_list(farmed: FarmRepository, tmp_path: Path) -> None:
    out = tmp_path / "out"
    # the previous list: everything built
    _results(farmed, "9.7.0", out)
    first = _orchestrate(farmed, "manifest", "9.7.0", "--results", str(out / "*.json"))
    assert first.returncode == 0, first.stdout + first.stderr
    old = {tag: _tag_digest(farmed, tag) for tag in ("9.7.0", "9.7-bookworm", "9.7.0-bookworm")}
    assert all(old.values())

    # now i386 fails: its tags are held and keep the old list; the Windows-only ones go out
    _results(farmed, "9.7.0", out, {"i386": (JobStatus.FAILED, None, "smoke test failed")})
    held = _orchestrate(farmed, "manifest", "9.7.0", "--results", str(out / "*.json"))
    assert held.returncode == 1, held.stdout + held.stderr
    assert "4 of 8 tags published" in held.stdout
    for tag, digest in old.items():
        assert _tag_digest(farmed, tag) == digest
        line = next(x for x in held.stdout.splitlines() if x.split()[:2] == ["held", tag])
        assert line.endswith("missing linux/386 (9.7.0-bookworm-i386: failed: smoke test failed)")
    assert "unchanged  9.7.0-windowsservercore-ltsc2022" in held.stdout

    # with --keep-going and the native arches required... i386 is required: still held
    req = _orchestrate(
        farmed, "manifest", "9.7.0", "--results", str(out / "*.json"),
        "--keep-going", "--require", "amd64", "i386",
    )  # fmt: skip
    assert req.returncode == 1, req.stdout + req.stderr
    assert "required platform missing: linux/386" in req.stdout
    assert _tag_digest(farmed, "9.7.0") == old["9.7.0"]

    # …and with only amd64 required the lists go out without i386
    kept = _orchestrate(
        farmed, "manifest", "9.7.0", "--results", str(out / "*.json"),
        "--keep-going", "--require", "amd64",
    )  # fmt: skip
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "published without linux/386" in kept.stdout
    new = _raw(f"{farmed.name}:9.7.0")
    assert new["manifests"] == _expected_entries(farmed, ["amd64", "arm64v8", "windows-amd64"])
    assert _tag_digest(farmed, "9.7.0") != old["9.7.0"]


def test_no_windows_builder_holds_the_shared_tags(farmed: FarmRepository, tmp_path: Path) -> None:
    out = tmp_path / "out"
    reason = "not built: no Windows builder"
    _results(farmed, "9.6.0", out, {"windows-amd64": (JobStatus.NOT_BUILT, None, reason)})
    done = _orchestrate(farmed, "manifest", "9.6.0", "--results", str(out / "*.json"))
    assert done.returncode == 1, done.stdout + done.stderr
    missing = (
        f"missing windows/amd64 {PLANNED_OS_VERSION} "
        "(9.6.0-windowsservercore-ltsc2022-windows-amd64: not built: no Windows builder)"
    )
    for tag in ("9.6.0", "9.6", "9.6.0-windowsservercore"):
        assert _tag_digest(farmed, tag) is None
        line = next(x for x in done.stdout.splitlines() if x.split()[:2] == ["held", tag])
        assert line.endswith(missing), line
    assert _raw(f"{farmed.name}:9.6.0-bookworm")["manifests"] == _expected_entries(farmed, LINUX)

    # keep-going with the Linux arches required: the shared tags go out with Linux only, the
    # Windows-only tags stay held but do not fail the run
    kept = _orchestrate(
        farmed, "manifest", "9.6.0", "--results", str(out / "*.json"),
        "--keep-going", "--require", *LINUX,
    )  # fmt: skip
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert _raw(f"{farmed.name}:9.6")["manifests"] == _expected_entries(farmed, LINUX)
    assert "held (not required)  9.6.0-windowsservercore " in kept.stdout
    assert _tag_digest(farmed, "9.6.0-windowsservercore") is None


def test_digest_the_registry_lacks_publishes_nothing(
    farmed: FarmRepository, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    absent = "sha256:" + hashlib.sha256(f"never pushed {RUN_ID}".encode()).hexdigest()
    _results(farmed, "9.5.0", out, {"arm64v8": (JobStatus.BUILT, absent, None)})
    done = _orchestrate(farmed, "manifest", "9.5.0", "--results", str(out / "*.json"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        f"results: job '9.5.0-bookworm-arm64v8': digest {absent} is not in {farmed.name}"
        in done.stderr
    )
    assert "nothing was published" in done.stderr
    # not even the tags that do not list arm64 (the Windows-only ones)
    for tag in ("9.5.0", "9.5-bookworm", "9.5.0-windowsservercore-ltsc2022", "9.5"):
        assert _tag_digest(farmed, tag) is None


def test_digest_of_another_platform_is_refused(farmed: FarmRepository, tmp_path: Path) -> None:
    out = tmp_path / "out"
    amd64 = farmed.images["amd64"].digest
    _results(farmed, "9.4.0", out, {"i386": (JobStatus.BUILT, amd64, None)})
    done = _orchestrate(farmed, "manifest", "9.4.0", "--results", str(out / "*.json"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        "results: job '9.4.0-bookworm-i386': image is linux/amd64 according to its config, "
        "not linux/386" in done.stderr
    )
    assert _tag_digest(farmed, "9.4.0-bookworm") is None
