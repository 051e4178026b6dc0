"""Catalogue, the file system under the outputs: what stands in the way of a write.

Every output path is checked before any work (``files.unwritable``): a directory where a file
should be, a file where a directory should be, a read-only file system are exit 2 naming the
path (and the flag that gave it), and nothing is written. What only shows when writing (a full
disk, a file larger than the process may write) is ``WriteFailed``, exit 3, naming the path,
with the old file left whole and no ``.tmp`` behind. The read-only and full file systems are
real: small tmpfs mounts made for the case (skipped where this user may not mount).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator import results
from orchestrator.errors import WriteFailed
from orchestrator.platforms import Platform
from tests.unit.catalogue.harness import (
    NO_REGISTRY,
    Case,
    cli_params,
    edit,
    ids,
    leftovers,
    run_case,
    run_in_process,
)

pytestmark = pytest.mark.real_processes

BOOKWORM = "dockerfiles/3.13/bookworm/Dockerfile"
SLIM = "dockerfiles/3.13/slim-bookworm/Dockerfile"
RENDER = ("-C", "{root}", "render")
BUILD = ("-C", "{root}", "build", "3.13.5", "--registry", NO_REGISTRY)
PUSH = (*BUILD, "--push-by-digest", "--results")
REPORT = ("report", f"{NO_REGISTRY}/python:x", "--out")
# A Dockerfile render will rewrite: its committed bytes changed.
STALE = {SLIM: edit("FROM ", "FROM  ")}


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    probe = Path("/proc/self/mounts")
    return probe.is_file()


CAN_MOUNT = _can_mount()


def _tmpfs(path: Path, *, size: str = "1m", read_only: bool = False, fill: bool = False) -> None:
    """A tmpfs at ``path`` holding what was there; read-only, or full to the last byte."""
    keep = path.with_name(path.name + ".keep")
    path.rename(keep)
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    for item in keep.iterdir():
        shutil.move(str(item), path / item.name)
    keep.rmdir()
    if fill:
        with open(path / "filler", "wb", buffering=0) as sink:
            try:
                while True:
                    sink.write(b"\0" * 4096)
            except OSError:
                pass
    if read_only:
        subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)


@pytest.fixture(autouse=True)
def _unmount(tmp_path: Path) -> Iterator[None]:
    yield
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    for target in sorted((m.split()[1] for m in mounts), reverse=True):
        if target.startswith(str(tmp_path)):
            subprocess.run(["umount", "-l", target], check=False)


def _swap(path: Path, *, directory: bool) -> None:
    """Put a directory (or a file) where ``path``'s file (or directory) is."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    if directory:
        path.mkdir()
    else:
        path.write_text("not a directory\n")


def _read_only_folder(path: Path) -> None:
    path.mkdir()
    _tmpfs(path, read_only=True)


MOUNTS = pytest.mark.skipif(not CAN_MOUNT, reason="needs root and mount for a tmpfs")

FILE_CASES = (
    Case(
        "render-dockerfile-is-a-directory",
        RENDER,
        (f"{BOOKWORM}: is a directory (nothing was rendered)",),
        files=STALE,
        setup=lambda root, _: _swap(root / BOOKWORM, directory=True),
    ),
    Case(
        "render-folder-is-a-file",
        RENDER,
        ("dockerfiles/3.13 is not a directory (nothing was rendered)",),
        files=STALE,
        setup=lambda root, _: _swap(root / "dockerfiles/3.13", directory=False),
    ),
    Case(
        "render-read-only-file-system",
        RENDER,
        (f"{SLIM}: ", "is not writable (read-only file system or permissions)"),
        files=STALE,
        setup=lambda root, _: _tmpfs(root / "dockerfiles/3.13/slim-bookworm", read_only=True),
    ),
    Case(
        "render-disk-full",
        RENDER,
        (f"{SLIM}: cannot write: No space left on device",),
        exit=3,
        files=STALE,
        setup=lambda root, _: _tmpfs(root / "dockerfiles/3.13/slim-bookworm", fill=True),
    ),
    Case(
        "render-file-too-large",
        RENDER,
        (f"{SLIM}: cannot write: File too large",),
        exit=3,
        files=STALE,
        fsize=1024,
        debug=False,  # the limit would be the test process's own
    ),
    Case(
        "build-results-is-a-directory",
        (*PUSH, "{scratch}"),
        ("--results ", "scratch: cannot be written: ", "scratch: is a directory"),
    ),
    Case(
        "build-results-under-a-file",
        (*PUSH, "{root}/matrix.yml/out.json"),
        (
            "--results ",
            "matrix.yml is not a directory",
        ),
    ),
    Case(
        "build-results-on-a-read-only-file-system",
        (*PUSH, "{scratch}/ro/out.json"),
        (
            "--results ",
            "ro is not writable (read-only file system",
        ),
        setup=lambda _, scratch: _read_only_folder(scratch / "ro"),
    ),
    Case(
        "build-logs-folder-is-a-file",
        BUILD,
        ("logs cannot be written: ", "logs is not a directory"),
        setup=lambda root, _: (root / "logs").write_text("x\n"),
    ),
    Case(
        "build-run-records-read-only",
        BUILD,
        ("run records cannot be written: ", ".orchestrate is not writable"),
        setup=lambda root, _: _read_only_folder(root / ".orchestrate"),
    ),
    Case(
        "build-reports-folder-is-a-file",
        BUILD,
        ("reports cannot be written: ", "reports: not a directory"),
        setup=lambda root, _: (root / "reports").write_text("x\n"),
    ),
    Case(
        "report-out-is-a-file",
        (*REPORT, "{root}/matrix.yml"),
        ("--out ", "matrix.yml: cannot be written: ", "matrix.yml is not a directory"),
    ),
    Case(
        "report-out-read-only",
        (*REPORT, "{scratch}/ro"),
        (
            "--out ",
            "ro is not writable (read-only file system",
        ),
        setup=lambda _, scratch: _read_only_folder(scratch / "ro"),
    ),
)

NEEDS_MOUNT = {
    "render-read-only-file-system",
    "render-disk-full",
    "build-results-on-a-read-only-file-system",
    "build-run-records-read-only",
    "report-out-read-only",
}


# Through the console script in the default run (every case with -m slow).
CLI = {
    "render-dockerfile-is-a-directory",
    "render-disk-full",
    "render-file-too-large",
    "build-results-is-a-directory",
}


def _marked(cases: tuple[Case, ...]) -> list[object]:
    ids(cases)  # unique
    return [pytest.param(c, id=c.id, marks=MOUNTS if c.id in NEEDS_MOUNT else ()) for c in cases]


@pytest.mark.parametrize("case", _marked(FILE_CASES))
def test_output_that_cannot_be_written(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_in_process(case, tmp_path, capsys, monkeypatch)


@pytest.mark.parametrize(
    "case",
    [
        *cli_params(tuple(c for c in FILE_CASES if c.id not in NEEDS_MOUNT), CLI),
        *cli_params(tuple(c for c in FILE_CASES if c.id in NEEDS_MOUNT), CLI, MOUNTS),
    ],
)
def test_output_that_cannot_be_written_through_the_console_script(
    case: Case, tmp_path: Path
) -> None:
    run_case(case, tmp_path)


@MOUNTS
def test_results_on_a_full_disk_keep_the_old_file_and_name_the_path(tmp_path: Path) -> None:
    # What `build --push-by-digest --results` writes at the end, after every job ran.
    out = tmp_path / "out"
    out.mkdir()
    old = results.dumps("3.13.5", [])
    (out / "amd64.json").write_text(old)
    _tmpfs(out, size="64k", fill=True)
    entry = results.JobResult(
        "3.13.5-bookworm-amd64",
        results.JobStatus.BUILT,
        Platform("linux", "amd64"),
        "localhost:5000/python",
        "sha256:" + "a" * 64,
        "k" * 64,
        1.0,
        log_tail=("x" * 100_000,),
    )
    with pytest.raises(WriteFailed, match=r"amd64\.json: cannot write: No space left on device"):
        results.write_results(out / "amd64.json", "3.13.5", [entry])
    assert (out / "amd64.json").read_text() == old
    assert leftovers(out) == []
