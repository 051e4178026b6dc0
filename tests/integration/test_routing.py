"""Builder routing with two real engines: i386 jobs build on a second dockerd, amd64 on the first.

A second engine is started for this module (``second_engine.py``: own bridge, data root, exec
root, socket, pidfile, containerd namespaces; reached as a docker context) and stopped by its
PID afterwards. A tiny image family is built through the real ``orchestrate build`` with a
matrix whose ``builders`` names that context for i386. The proof is on the engines' side: the
i386 image (by its pushed digest) is in the second engine's image store and not in the first's,
and the amd64 image the other way round.

The tiny family is a real Python image that builds in a minute: Debian bookworm's own
python3 (3.11.2) with pip, so the build command's smoke test (``python --version``, ssl,
sqlite3, …, readline, curses, ``pip --version``) passes for real. Like the 3.13 templates it
takes ``PYTHON_DOWNLOAD_BASE`` and fetches from it; with a loopback base the pipeline builds with
``--network host``, which the second engine needs (its bridge has no NAT, ENVIRONMENT.md).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from orchestrator import proc
from orchestrator.results import JobStatus, read_results
from tests.fakes.http import QuietFiles, serving
from tests.integration.second_engine import SecondEngine, second_engine

RUN_ID = uuid.uuid4().hex[:10]
VERSION = "3.11.2"  # Debian bookworm's python3

TEMPLATE = """\
{{ banner }}
FROM {{ variant.parent }}
ARG PYTHON_DOWNLOAD_BASE
RUN set -eux; \\
	apt-get update; \\
	apt-get install -y --no-install-recommends python3 python3-pip python-is-python3; \\
	rm -rf /var/lib/apt/lists/*; \\
	python3 -c 'import sys, urllib.request; \\
print(urllib.request.urlopen(sys.argv[1]).read().decode())' \\
		"$PYTHON_DOWNLOAD_BASE/{{ line.version }}/SOURCE" > /usr/local/share/python-source; \\
	python --version
CMD ["python3"]
"""


def _matrix(context: str) -> str:
    return (
        "schema: 1\n"
        "builders:\n"
        f"  i386: {context}\n"
        "profile_tasks: {}\n"
        "variants:\n"
        "  bookworm:\n"
        "    family: debian\n"
        "    template: tiny\n"
        "    parent: debian:bookworm\n"
        "    arches: [amd64, i386]\n"
        "lines:\n"
        '  "3.11":\n'
        f"    version: {VERSION}\n"
        # required by the schema; the tiny template installs Debian's build and never reads it
        "    gpg_key: A035C8C19219BA821ECEA86B64E628F8D684696D\n"
        "    defaults:\n"
        "      debian: bookworm\n"
        "    variants: [bookworm]\n"
    )


@pytest.fixture(scope="module")
def d2(farm: Any) -> Iterator[SecondEngine]:
    with second_engine(mirror=str(farm.registry)) as engine:
        yield engine


@pytest.fixture(scope="module")
def download_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A loopback stand-in for python.org's ftp/python (python.org is unreachable here)."""
    served = tmp_path_factory.mktemp("ftp")
    (served / VERSION).mkdir()
    (served / VERSION / "SOURCE").write_text(f"Python {VERSION} source for run {RUN_ID}\n")

    with serving(partial(QuietFiles, directory=str(served))) as port:
        yield f"http://127.0.0.1:{port}"


def _has_image(argv_prefix: list[str], ref: str) -> bool:
    done = proc.run_command(
        [*argv_prefix, "image", "inspect", "--format", "{{.Id}}", ref], check=False
    )
    return done.returncode == 0


def test_i386_jobs_build_on_the_second_engine(
    farm: Any, d2: SecondEngine, download_base: str, tmp_path: Path
) -> None:
    root = tmp_path / "family"
    (root / "templates" / "tiny").mkdir(parents=True)
    (root / "templates" / "tiny" / "debian.Dockerfile.j2").write_text(TEMPLATE)
    (root / "matrix.yml").write_text(_matrix(d2.context))
    repository = f"orchestrate-test/routing-{RUN_ID}"
    exe = Path(sys.executable).with_name("orchestrate")
    done = proc.run_command(
        [
            str(exe), "-C", str(root), "--log-format", "json",
            "build", VERSION,
            "--registry", str(farm.registry), "--repository", repository,
            "--download-base", download_base,
            "--push-by-digest", "--results", str(tmp_path / "out" / "all.json"),
        ],
        check=False,
        timeout=1800,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    version, results = read_results([str(tmp_path / "out" / "all.json")])
    assert version == VERSION
    by_arch = {r.job_id.rsplit("-", 1)[1]: r for r in results}
    assert {a: r.status for a, r in by_arch.items()} == {
        "amd64": JobStatus.BUILT,
        "i386": JobStatus.BUILT,
    }

    name = f"{farm.registry}/{repository}"
    first = ["docker"]
    second = ["docker", "--context", d2.context]
    i386 = f"{name}@{by_arch['i386'].digest}"
    amd64 = f"{name}@{by_arch['amd64'].digest}"
    # engine side: each image is in the store of the engine it was routed to, and only there
    assert _has_image(second, i386)
    assert not _has_image(first, i386)
    assert _has_image(first, amd64)
    assert not _has_image(second, amd64)

    # the image really is i386 and carries what the build fetched through the host network
    arch = proc.run_command(
        [*second, "run", "--rm", "--network", "none", "--platform", "linux/386", i386,
         "sh", "-c", "dpkg --print-architecture; cat /usr/local/share/python-source"],
        timeout=300,
    )  # fmt: skip
    assert arch.stdout.strip().splitlines() == ["i386", f"Python {VERSION} source for run {RUN_ID}"]

    # the second engine's build history holds this run's build; its log names the job
    du = proc.run_command([*second, "buildx", "du", "--verbose"], timeout=120)
    assert "apt-get install -y --no-install-recommends python3" in du.stdout
    log = Path(by_arch["i386"].log or "")
    assert (
        log.read_text()
        .splitlines()[0]
        .endswith(f"on context {d2.context}, content key {by_arch['i386'].content_key}")
    )
