"""The bad-input catalogue's one runner: a case is a bad input and what the CLI must answer.

Every case runs in a copy of the repository's matrix, templates and Dockerfiles (``project``),
with a docker config, farm directory and home of its own (so nothing reaches the farm by
accident), twice: through ``orchestrator.cli.main`` in-process (``run_in_process``, as the other
CLI tests do: milliseconds, so every case runs by default, and again with ``--debug``) and
through the installed ``orchestrate`` console script in a subprocess (``run_case``: the real
entry point and exit status; by default for the cases marked ``cli``, every case under the
``slow`` marker, ``cli_params``). Each run asserts:

- the exit code (the codes the README documents: 2 bad input, 3 a tool, service or the file
  system failed, 130 interrupted, 141 standard output closed by its reader);
- that stderr names the place (``file:LINE: key.path`` or the flag) and the problem;
- that no traceback is printed (in-process: no exception escapes ``main``), and that
  ``--debug`` does print one;
- that nothing was written: every file under the project copy and the case's scratch directory
  is byte-for-byte, mode and mtime what it was, and no ``.tmp`` file is left anywhere there;
- that nothing reached a registry: build cases name an unreachable ``--registry`` (a refused
  loopback port), so a case that got as far as the network would exit 3, not 2.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from orchestrator import cli

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data"  # fixtures: bad-input/<kind>/…, and results/… reused
ORCHESTRATE = str(Path(sys.executable).parent / "orchestrate")
# A loopback port nothing listens on: reaching the registry there fails at once (exit 3).
NO_REGISTRY = "127.0.0.1:9"
TIMEOUT = 60


@dataclass(frozen=True)
class Fixture:
    """A file under ``tests/data/`` (``bad-input/matrix/not-utf8.yml``, ``results/…``)."""

    name: str

    def read(self) -> bytes:
        return (DATA / self.name).read_bytes()


def edit(old: str, new: str, *, count: int = 1) -> Callable[[str], str]:
    """A change of the real ``matrix.yml``: ``old`` (which must be there) becomes ``new``."""

    def change(text: str) -> str:
        assert old in text, f"{old!r} is not in matrix.yml"
        return text.replace(old, new, count)

    return change


@dataclass(frozen=True)
class Case:
    """One bad input, and what ``orchestrate`` must answer.

    ``argv`` may hold ``{root}`` (the project copy) and ``{scratch}`` (a directory of the case's
    own beside it, also checked for writes). ``files`` are placed in the project copy before the
    run (relative paths; ``matrix.yml`` may be an edit of the real one), then ``setup`` runs.
    ``says`` are substrings stderr must hold: the place first, then what is wrong.
    """

    id: str
    argv: tuple[str, ...]
    says: tuple[str, ...]
    exit: int = 2
    files: Mapping[str, bytes | str | Fixture | Callable[[str], str]] = field(default_factory=dict)
    setup: Callable[[Path, Path], object] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    debug: bool = True  # also run in-process with --debug (off where the runner itself matters)
    fsize: int | None = None  # RLIMIT_FSIZE of the run: a file larger fails with EFBIG

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Place:
    """A case's directories: the project copy and a scratch directory."""

    root: Path
    scratch: Path

    def argv(self, case: Case) -> list[str]:
        return [a.format(root=self.root, scratch=self.scratch) for a in case.argv]


def make_place(tmp_path: Path, case: Case) -> Place:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "matrix.yml", root / "matrix.yml")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "dockerfiles", root / "dockerfiles")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for rel, content in case.files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Fixture):
            target.write_bytes(content.read())
        elif isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_text(content(target.read_text(encoding="utf-8")), encoding="utf-8")
    if case.setup is not None:
        case.setup(root, scratch)
    return Place(root, scratch)


def environment(tmp_path: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The case's environment: no farm, an empty docker config and home, no CI, no colours."""
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "DOCKER_CONFIG")}
    env.update(
        HOME=str(home),
        DOCKER_CONFIG=str(home / ".docker"),
        ORCHESTRATE_FARM_DIR=str(tmp_path / "no-farm"),
        NO_COLOR="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


Snapshot = dict[str, tuple[str, int, int, bytes]]


def snapshot(*dirs: Path) -> Snapshot:
    """Every entry under ``dirs``: kind, mode, mtime and content (files)."""
    found: Snapshot = {}
    for top in dirs:
        for path in sorted(top.rglob("*")):
            st = path.lstat()
            kind = "dir" if path.is_dir() else "link" if path.is_symlink() else "file"
            data = path.read_bytes() if kind == "file" and os.access(path, os.R_OK) else b""
            found[str(path)] = (kind, st.st_mode, st.st_mtime_ns if kind == "file" else 0, data)
    return found


def leftovers(*dirs: Path) -> list[str]:
    return [str(p) for top in dirs for p in top.rglob("*") if p.name.endswith(".tmp")]


def run_cli(
    argv: list[str], *, cwd: Path, env: Mapping[str, str], **kw: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [ORCHESTRATE, *argv],
        cwd=cwd,
        env=dict(env),
        capture_output=kw.pop("capture_output", True),
        text=True,
        timeout=TIMEOUT,
        check=False,
        **kw,
    )


def check_message(stderr: str, case: Case) -> None:
    assert "Traceback" not in stderr, stderr
    for text in case.says:
        assert text in stderr, f"{text!r} not in:\n{stderr}"


def run_case(case: Case, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``case`` through the console script and assert everything the module docstring
    lists, except ``--debug`` (``debug_case``)."""
    place = make_place(tmp_path, case)
    env = environment(tmp_path, case.env)
    before = snapshot(place.root, place.scratch)
    limit = case.fsize
    done = run_cli(
        place.argv(case),
        cwd=place.root,
        env=env,
        preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
        if limit is not None
        else None,
    )
    assert done.returncode == case.exit, f"exit {done.returncode}:\n{done.stderr}"
    check_message(done.stderr, case)
    assert leftovers(place.root, place.scratch) == []
    assert snapshot(place.root, place.scratch) == before, "the case changed files"
    return done


def run_in_process(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``case`` through ``cli.main`` in this process, then again with ``--debug``: the same
    exit code and message, nothing written, and with ``--debug`` the traceback too."""
    if case.fsize is not None:
        pytest.skip("RLIMIT_FSIZE would limit this test process: console script only")
    place = make_place(tmp_path, case)
    for key, value in environment(tmp_path, case.env).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(place.root)
    before = snapshot(place.root, place.scratch)
    for debug in (False, True) if case.debug else (False,):
        try:
            code = cli.main(["--debug", *place.argv(case)] if debug else place.argv(case))
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        err = capsys.readouterr().err
        assert code == case.exit, f"exit {code}:\n{err}"
        if debug:
            assert "Traceback (most recent call last)" in err, err
            for text in case.says:
                assert text in err, f"{text!r} not in:\n{err}"
        else:
            check_message(err, case)
        assert leftovers(place.root, place.scratch) == []
        assert snapshot(place.root, place.scratch) == before, "the case changed files"


def cli_params(cases: tuple[Case, ...], default: set[str], marks: Any = ()) -> list[Any]:
    """The cases for the console-script runs: those named in ``default`` in the default run,
    every one under the ``slow`` marker (``marks`` go on each)."""
    ids(cases)  # unique
    extra = list(marks) if isinstance(marks, list | tuple) else [marks]
    return [
        pytest.param(c, id=c.id, marks=[*extra, *(() if c.id in default else (pytest.mark.slow,))])
        for c in cases
    ]


def ids(cases: tuple[Case, ...]) -> list[str]:
    assert len({c.id for c in cases}) == len(cases), "case ids must be unique"
    return [c.id for c in cases]
