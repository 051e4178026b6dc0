"""The farm itself, on the real engine, buildx, qemu and registry (see scripts/farm).

- an image built for each Linux platform runs and reports its architecture;
- a manifest list pushed to the farm registry reads back with all its platforms;
- ``FROM buildpack-deps:bookworm`` resolves through the engine's Hub mirror (the farm registry);
- ``scripts/farm status --json`` reports what is up; the source mirror serves 3.13.5 intact;
- the auth registry refuses anonymous requests and accepts the farm's credentials over TLS;
- a second ``up`` changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.fakes.farm import Farm
from tests.integration.conftest import FARM_SCRIPT, farm_status

RUN_ID = uuid.uuid4().hex[:10]
SHA256_3_13_5 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"

# bashbrew arch, OCI platform, `uname -m` there, ELF (class, machine) of its binaries.
# linux/386 runs natively on x86-64, where uname -m still says x86_64: the 32-bit EM_386 ELF
# header of the running binary is what proves the platform.
PLATFORMS = [
    ("amd64", "linux/amd64", "x86_64", (2, 62)),
    ("i386", "linux/386", "x86_64", (1, 3)),
    ("arm64v8", "linux/arm64", "aarch64", (2, 183)),
    ("arm32v7", "linux/arm/v7", "armv7l", (1, 40)),
    ("ppc64le", "linux/ppc64le", "ppc64le", (2, 21)),
    ("s390x", "linux/s390x", "s390x", (2, 22)),
]


def run(*argv: str, input: str | None = None, timeout: float = 600) -> str:
    done = subprocess.run(
        argv, capture_output=True, text=True, input=input, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{argv} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
    return done.stdout


def elf_header(od_output: str) -> tuple[int, int]:
    """(class, machine) from ``od -An -tu1 -N20`` of an ELF file."""
    b = [int(x) for x in od_output.split()]
    machine = b[18] + 256 * b[19] if b[5] == 1 else 256 * b[18] + b[19]
    return b[4], machine


@pytest.mark.parametrize(
    ("arch", "platform", "uname", "elf"), PLATFORMS, ids=[p[0] for p in PLATFORMS]
)
def test_image_built_for_each_platform_runs_its_architecture(
    farm: Farm, tmp_path: Path, arch: str, platform: str, uname: str, elf: tuple[int, int]
) -> None:
    # The build itself runs a RUN step on the platform (under qemu for the foreign ones).
    (tmp_path / "Dockerfile").write_text(
        f"FROM {farm.registry}/{arch}/busybox:latest\n"
        "RUN uname -m > /built-on && od -An -tu1 -N20 /proc/self/exe > /built-elf\n"
        'CMD ["sh", "-c", "cat /built-on; uname -m; od -An -tu1 -N20 /proc/self/exe"]\n'
    )
    tag = f"orchestrate-farm-test/arch-{arch}:{RUN_ID}"
    run("docker", "buildx", "build", "--platform", platform, "--load", "-t", tag, str(tmp_path))
    try:
        out = run("docker", "run", "--rm", "--platform", platform, tag).splitlines()
        built_on, ran_on, od = out[0].strip(), out[1].strip(), " ".join(out[2:])
        assert (built_on, ran_on) == (uname, uname)
        assert elf_header(od) == elf
        inspected = json.loads(run("docker", "image", "inspect", tag))[0]
        assert f"{inspected['Os']}/{inspected['Architecture']}" == "/".join(platform.split("/")[:2])
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, check=False)


def test_manifest_list_reads_back_with_all_its_platforms(farm: Farm, tmp_path: Path) -> None:
    repo = f"{farm.registry}/orchestrate-farm-test/list-{RUN_ID}"
    refs = []
    for arch, platform, _, _ in PLATFORMS:
        ctx = tmp_path / arch
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(
            f"FROM {farm.registry}/{arch}/busybox:latest\nRUN uname -m > /arch\n"
        )
        run(
            "docker",
            "buildx",
            "build",
            "--platform",
            platform,
            "--push",
            "-t",
            f"{repo}:{arch}",
            str(ctx),
        )
        refs.append(f"{repo}:{arch}")
    run("docker", "buildx", "imagetools", "create", "-t", f"{repo}:all", *refs)
    raw = json.loads(run("docker", "buildx", "imagetools", "inspect", "--raw", f"{repo}:all"))
    assert raw["mediaType"] == "application/vnd.docker.distribution.manifest.list.v2+json"
    got = sorted(
        "/".join(
            filter(
                None,
                (m["platform"]["os"], m["platform"]["architecture"], m["platform"].get("variant")),
            )
        )
        for m in raw["manifests"]
    )
    assert got == sorted(
        ["linux/amd64", "linux/386", "linux/arm64", "linux/arm/v7", "linux/ppc64le", "linux/s390x"]
    )


def test_from_buildpack_deps_resolves_through_the_hub_mirror(farm: Farm, tmp_path: Path) -> None:
    log = farm.farm_dir / "logs" / "registry.log"
    before = log.stat().st_size
    (tmp_path / "Dockerfile").write_text(
        "FROM buildpack-deps:bookworm\n"
        "RUN gcc --version > /gcc && git --version && curl --version\n"
    )
    tag = f"orchestrate-farm-test/bpd:{RUN_ID}"
    run(
        "docker", "buildx", "build", "--platform", "linux/amd64", "--load", "-t", tag, str(tmp_path)
    )
    try:
        with log.open("rb") as f:
            f.seek(before)
            requests = f.read().decode(errors="replace")
        # The engine asked its mirror (the farm registry) for Docker Hub's library image.
        assert "/v2/library/buildpack-deps/manifests/bookworm?ns=docker.io" in requests
        assert "gcc" in run("docker", "run", "--rm", tag, "cat", "/gcc")
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, check=False)


def test_status_json_reports_what_is_up(farm: Farm) -> None:
    status = farm_status()
    assert status["engine"]["up"] is True
    assert status["engine"]["server_version"].startswith("20.10")
    assert status["registry"]["up"] is True
    assert status["registry"]["address"] == farm.registry
    assert status["mirror"]["active"] is True
    assert status["sources"]["up"] is True
    assert status["sources"]["files"]["3.13.5"]["sha256"] == SHA256_3_13_5
    assert set(farm.bases["library/buildpack-deps:bookworm"]) >= {"amd64"}
    assert set(farm.bases["library/debian:bookworm-slim"]) >= {"amd64", "i386"}
    assert set(farm.bases["library/busybox:latest"]) >= {p[0] for p in PLATFORMS}
    for pid_of in ("registry", "sources"):
        pid = status[pid_of]["pid"]
        assert pid is None or Path(f"/proc/{pid}").exists()


def test_source_mirror_serves_3_13_5_like_python_org(farm: Farm) -> None:
    url = f"{farm.source_mirror}/3.13.5/Python-3.13.5.tar.xz"
    assert farm.sources["3.13.5"].url == url
    with urllib.request.urlopen(url, timeout=60) as response:
        digest = hashlib.sha256(response.read()).hexdigest()
    assert digest == SHA256_3_13_5


def test_auth_registry_needs_the_farm_credentials(farm: Farm) -> None:
    auth = farm.auth_registry
    assert auth is not None
    context = ssl.create_default_context(cafile=str(auth.ca))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{auth.url}/v2/", timeout=10, context=context)
    assert refused.value.code == 401
    token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
    request = urllib.request.Request(f"{auth.url}/v2/", headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        assert response.status == 200


def test_second_up_changes_nothing(farm: Farm) -> None:
    before = farm_status()
    out = run(str(FARM_SCRIPT), "up", "--profile", "test", timeout=900)
    after = farm_status()
    lines = [line for line in out.splitlines() if " ... " in line]
    assert [line.split(" ... ")[1].split()[0] for line in lines] == ["ready"] * 7, out
    assert "built 0 images" in out
    for service in ("registry", "sources"):
        assert after[service]["pid"] == before[service]["pid"]
    assert after["engine"]["pid"] == before["engine"]["pid"]
    assert after["bases"]["images"] == before["bases"]["images"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_isolated_farm_down_stops_only_what_it_started(farm: Farm, tmp_path: Path) -> None:
    """A second farm (own directory and ports, busybox only) reuses the running engine, so its
    `down` stops its registries and source server by PID file and leaves the engine and the
    session's farm alone."""
    ports = {
        "ORCHESTRATE_FARM_REGISTRY_PORT": _free_port(),
        "ORCHESTRATE_FARM_AUTH_PORT": _free_port(),
        "ORCHESTRATE_FARM_SOURCES_PORT": _free_port(),
    }
    env = {
        **os.environ,
        **{k: str(v) for k, v in ports.items()},
        "ORCHESTRATE_FARM_DIR": str(tmp_path / "farm"),
        "ORCHESTRATE_FARM_PROFILE": "test",
        "ORCHESTRATE_FARM_ARCHES": "",
        "ORCHESTRATE_FARM_BPD_ARCHES": "",
        "ORCHESTRATE_FARM_BUSYBOX_ARCHES": "amd64",
        "ORCHESTRATE_FARM_PYTHON_SOURCES": "",
    }

    def farm_cmd(*args: str) -> str:
        done = subprocess.run(
            [str(FARM_SCRIPT), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    try:
        up = farm_cmd("up")
        assert "engine     ... ready (Docker" in up and "not started by this farm" in up
        assert "mirror     ... skipped" in up  # the engine's mirror is the session farm's
        status = json.loads(farm_cmd("status", "--json"))
        pids = [status[k]["pid"] for k in ("registry", "auth_registry", "sources")]
        assert all(pids) and status["engine"]["pid"] is None
        port = ports["ORCHESTRATE_FARM_REGISTRY_PORT"]
        assert status["registry"]["url"] == f"http://127.0.0.1:{port}"
        assert status["bases"]["images"] == {"library/busybox:latest": {"arches": ["amd64"]}}
    finally:
        down = farm_cmd("down")
    for pid in pids:
        assert f"(pid {pid})" in down
        assert not Path(f"/proc/{pid}").exists()
    assert "dockerd not started by this farm" in down
    after = farm_status()  # the session's farm is untouched
    assert after["engine"]["up"] and after["registry"]["up"] and after["sources"]["up"]
