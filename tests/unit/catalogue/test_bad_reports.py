"""Catalogue, JSON the tool reads back: reports for ``report --diff``, and the build's run record.

``report --diff OLD NEW`` refuses a file that is not a report orchestrate wrote, naming the
file and the key (``new.json: platforms[0].size: expected a non-negative integer``); a run
record (``.orchestrate/runs/…/VERSION.json``) that cannot be read stops ``build`` with exit 2
before the registry is asked anything (an unreachable one here). Nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.catalogue.harness import (
    NO_REGISTRY,
    Case,
    cli_params,
    ids,
    run_case,
    run_in_process,
)

pytestmark = pytest.mark.real_processes

DIFF = ("report", "--diff", "{root}/old.json", "{root}/new.json")
BUILD = ("-C", "{root}", "build", "3.13.5", "--registry", NO_REGISTRY)
RECORD = ".orchestrate/runs/127.0.0.1_9_python/3.13.5.json"


def report(**changes: Any) -> dict[str, Any]:
    layer = {"digest": "sha256:" + "1" * 64, "size": 10, "mediaType": "x", "urls": []}
    platform = {"platform": "linux; amd64", "digest": "sha256:" + "2" * 64, "size": 10}
    platform["layers"] = [layer]
    data: dict[str, Any] = {
        "schemaVersion": 1,
        "ref": "python:3.13",
        "digest": "sha256:" + "3" * 64,
        "platforms": [platform],
    }
    data.update(changes)
    return data


OLD = json.dumps(report())


def diff(name: str, new: str | bytes, says: str) -> Case:
    assert new not in (OLD, OLD.encode()), f"{name}: the change did not apply"
    return Case(
        f"diff-{name}", DIFF, (f"new.json{says}",), files={"old.json": OLD, "new.json": new}
    )


def platform(**changes: Any) -> str:
    entry = report()["platforms"][0] | changes
    return json.dumps(report(platforms=[entry]))


def record(name: str, text: str, says: str) -> Case:
    return Case(f"run-record-{name}", BUILD, (f"{RECORD}{says}",), files={RECORD: text})


GOOD_RECORD = {"schema": 1, "version": "3.13.5", "jobs": {}}

REPORT_CASES = (
    diff("not-json", "{", ":1: not JSON: Expecting property name enclosed in double quotes"),
    diff("schema-version-true", json.dumps(report(schemaVersion=True)), ": schemaVersion: "),
    diff("schema-version-2", json.dumps(report(schemaVersion=2)), ": schemaVersion: expected 1"),
    diff("a-list", "[]", ": schemaVersion: expected 1, found null"),
    diff("platforms-an-object", json.dumps(report(platforms={})), ": platforms: expected a list"),
    diff(
        "size-a-string",
        platform(size="big"),
        ": platforms[0].size: expected a non-negative integer, got a string",
    ),
    diff(
        "size-negative",
        platform(size=-1),
        ": platforms[0].size: expected a non-negative integer",
    ),
    diff(
        "platform-name-missing",
        platform(platform=None),
        ": platforms[0].platform: expected a string, got null",
    ),
    diff("layers-a-string", platform(layers="x"), ": platforms[0].layers: expected a list"),
    diff(
        "layer-digest-a-number",
        platform(layers=[{"digest": 7, "size": 1}]),
        ": platforms[0].layers[0].digest: expected a string, got a number",
    ),
    diff("ref-a-list", json.dumps(report(ref=[])), ": ref: expected a string, got a list"),
    diff("not-utf8", OLD.encode().replace(b"python", b"pyth\xf6n"), ":1: not UTF-8 text"),
    diff("nested-100000-deep", "[" * 100_000 + "]" * 100_000, ": not JSON this program reads"),
    diff(
        "number-of-5000-digits",
        OLD.replace('"size": 10', '"size": ' + "9" * 5000, 1),
        ": not JSON this program reads: Exceeds the limit (4300 digits)",
    ),
    Case(
        "diff-a-directory",
        DIFF,
        ("new.json: cannot read: Is a directory",),
        files={"old.json": OLD},
        setup=lambda root, _: (root / "new.json").mkdir(),
    ),
    Case("diff-missing-file", DIFF, ("new.json: no such report",), files={"old.json": OLD}),
    record("not-json", "{", ":1: not JSON"),
    record("schema-true", json.dumps(GOOD_RECORD | {"schema": True}), ": schema: expected 1"),
    record(
        "seconds-true",
        json.dumps(
            GOOD_RECORD | {"jobs": {"j": {"status": "built", "finished": "x", "seconds": True}}}
        ),
        ": jobs.j.seconds: expected a number, got True",
    ),
    record(
        "nested-deep",
        "[" * 100_000 + "]" * 100_000,
        ": not JSON this program reads: nested too deep",
    ),
    record("other-version", json.dumps(GOOD_RECORD | {"version": "3.13.4"}), ": version: "),
)


# Through the console script in the default run (every case with -m slow).
CLI = {"diff-schema-version-true", "run-record-not-json"}


@pytest.mark.parametrize("case", REPORT_CASES, ids=ids(REPORT_CASES))
def test_bad_report_or_run_record(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_in_process(case, tmp_path, capsys, monkeypatch)


@pytest.mark.parametrize("case", cli_params(REPORT_CASES, CLI))
def test_bad_report_or_run_record_through_the_console_script(case: Case, tmp_path: Path) -> None:
    run_case(case, tmp_path)
