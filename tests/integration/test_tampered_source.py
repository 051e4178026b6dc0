"""A tampered CPython tarball on a source mirror stops the build at its verification, and
nothing is pushed.

The farm's own mirror is never touched: the test copies the farm's 3.13.5 tarball, changes one
byte in the middle (same name, same size) and serves the copy from a mirror of its own
(``python -m http.server``'s handler on a free loopback port, laid out like python.org's
``ftp/python/``). The real matrix and templates (copied to a repository root of the test's own)
build ``3.13.5-bookworm-amd64`` with ``--download-base`` pointing there: the rendered
Dockerfile downloads the tarball and checks it with ``sha256sum -c`` before anything is
compiled, so the build fails within seconds of starting. The job is reported failed with a
reason that says the source did not verify, ``configure`` never ran, every tag is held and the
registry has nothing of the repository (no key tag, no list).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from orchestrator import registry
from orchestrator.errors import RegistryError
from tests.fakes.http import QuietFiles, serving

REPO = Path(__file__).resolve().parents[2]
RUN_ID = uuid.uuid4().hex[:8]
VERSION = "3.13.5"
TARBALL = f"ftp/python/{VERSION}/Python-{VERSION}.tar.xz"


@pytest.fixture(scope="module")
def tampered_mirror(
    farm: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[str]]]:
    """A mirror of the test's own serving the farm's tarball with one byte changed; yields its
    download base and the paths it was asked for."""
    served = tmp_path_factory.mktemp("mirror")
    target = served / TARBALL
    target.parent.mkdir(parents=True)
    with urllib.request.urlopen(farm.sources[VERSION].url, timeout=120) as response:
        data = bytearray(response.read())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    asked: list[str] = []

    class Recording(QuietFiles):
        def do_GET(self) -> None:
            asked.append(self.path)
            super().do_GET()

    with serving(partial(Recording, directory=str(served))) as port:
        yield f"http://127.0.0.1:{port}/ftp/python", asked


def test_a_tampered_tarball_fails_the_build_at_verification_and_nothing_is_pushed(
    farm: Any, tampered_mirror: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, asked = tampered_mirror
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(REPO / "matrix.yml", root / "matrix.yml")
    shutil.copytree(REPO / "templates", root / "templates")
    host = str(farm.registry)
    repo = f"test11-tamper-{RUN_ID}/python"
    job = f"{VERSION}-bookworm-amd64"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "-C", str(root), "build", VERSION,
         "--variant", "bookworm", "--arch", "amd64", "--profile", "quick",
         "--registry", host, "--repository", repo, "--download-base", base],
        capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "CI": "1"},
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert f"/ftp/python/{VERSION}/Python-{VERSION}.tar.xz" in asked  # it came from our mirror
    line = next(x for x in done.stdout.splitlines() if job in x and "failed" in x)
    assert (
        "build failed (exit code 1): source verification failed: the downloaded source does not "
        "match its sha256 in matrix.yml"
    ) in line, done.stdout
    log = (root / "logs" / VERSION / f"{job}.log").read_text()
    assert "python.tar.xz: FAILED" in log and "computed checksum did NOT match" in log
    assert "checking build system type" not in log  # configure never ran
    held = [x.split()[1] for x in done.stdout.splitlines() if x.startswith("  held ")]
    assert held == [f"{VERSION}-bookworm", "3.13-bookworm", VERSION, "3.13"], done.stdout
    assert "published" not in done.stdout
    client = registry.Client(host)
    with pytest.raises(RegistryError) as info:  # the repository does not exist at all
        client.request("GET", f"/v2/{repo}/tags/list", repository=repo)
    assert info.value.status == 404
    print(f"tampered tarball: the build failed at verification after {seconds:.0f}s")
