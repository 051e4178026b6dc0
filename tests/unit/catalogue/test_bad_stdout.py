"""Catalogue, standard output: closed, full (``/dev/full``), or a pipe whose reader stops early.

A closed or full standard output is a ``WriteFailed`` (exit 3) with one line naming standard
output; a reader that closes the pipe early (``orchestrate … | head -1``) ends the run quietly
with 141, what a shell reports for a program ended by SIGPIPE. Never a traceback, never the
interpreter's "Exception ignored" line about a failed flush at exit, nothing written.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.unit.catalogue.harness import (
    ORCHESTRATE,
    Case,
    environment,
    ids,
    leftovers,
    make_place,
    snapshot,
)

pytestmark = pytest.mark.real_processes

COMMANDS = {
    "plan": ("-C", "{root}", "plan", "3.7", "--format", "json"),
    "render-dry-run": ("-C", "{root}", "render", "--dry-run"),
    "report-diff": ("report", "--diff", "{scratch}/old.json", "{scratch}/new.json"),
}
# This one prints far more than a pipe holds (64 KiB), in many writes, so a reader that stops
# early is seen. (A reader that closes after the whole output is in the pipe has missed nothing:
# exit 0; and CPython reports a single large write cut short by a closed pipe as written.)
LONG = ("render-dry-run",)

STDOUT_CASES = tuple(
    Case(f"{name}-stdout-{how}", argv, says, exit=code)
    for name, argv in COMMANDS.items()
    for how, says, code in (
        ("closed", ("error: cannot write to standard output: it is closed",), 3),
        ("full", ("error: cannot write to standard output: No space left on device",), 3),
        ("pipe-closed-early", (), 141),
    )
    if how != "pipe-closed-early" or name in LONG
)


def _reports(scratch: Path) -> None:
    """Two JSON reports of one platform whose layers all changed."""

    def report(digest: str, layer: str) -> dict[str, object]:
        layers = [{"digest": f"sha256:{layer}{i:063x}", "size": i} for i in range(200)]
        platform = {"platform": "linux/amd64", "digest": digest, "size": 1, "layers": layers}
        return {"schemaVersion": 1, "ref": "python:x", "digest": digest, "platforms": [platform]}

    (scratch / "old.json").write_text(json.dumps(report("sha256:" + "a" * 64, "a")))
    (scratch / "new.json").write_text(json.dumps(report("sha256:" + "b" * 64, "b")))


def _run(case: Case, tmp_path: Path) -> tuple[int, str]:
    place = make_place(tmp_path, case)
    _reports(place.scratch)
    env = environment(tmp_path, {})
    before = snapshot(place.root, place.scratch)
    argv = [ORCHESTRATE, *place.argv(case)]
    how = case.id.rpartition("-stdout-")[2]
    if how == "pipe-closed-early":
        proc = subprocess.Popen(
            argv, cwd=place.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # the reader goes away, as `head -1` does
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    else:
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                argv,
                cwd=place.root,
                env=env,
                stdout=subprocess.DEVNULL if how == "closed" else full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                check=False,
                # closed: the descriptor is not open at all in the child
                preexec_fn=_close_stdout if how == "closed" else None,
            )
        code, err = done.returncode, done.stderr
    assert leftovers(place.root, place.scratch) == []
    assert snapshot(place.root, place.scratch) == before
    return code, err


def _close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize("case", STDOUT_CASES, ids=ids(STDOUT_CASES))
def test_stdout_that_cannot_be_written(case: Case, tmp_path: Path) -> None:
    code, err = _run(case, tmp_path)
    assert code == case.exit, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    for text in case.says:
        assert text in err, err
    if case.exit == 141:
        assert err == "", "a reader that went away is no error"
