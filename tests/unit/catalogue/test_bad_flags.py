"""Catalogue, command-line flags and arguments: each refused naming the flag, before any work.

``build`` cases name an unreachable ``--registry`` (a refused loopback port): a value checked
after the registry probe would exit 3 ("is the farm up?"), so exit 2 proves the value was
checked first, and that nothing reached any registry or the farm. Nothing is written.
"""

from __future__ import annotations

from pathlib import Path

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

BUILD = ("-C", "{root}", "build", "3.13.5", "--registry", NO_REGISTRY)
DRY = (*BUILD, "--dry-run")
MANIFEST = ("-C", "{root}", "manifest", "3.13.5", "--results", "{scratch}/none.json")
REPORT_AT = f"{NO_REGISTRY}/python:x"

FLAG_CASES = (
    Case(
        "download-base-ftp",
        (*BUILD, "--download-base", "ftp://x"),
        ("--download-base ftp://x: not an http(s) URL",),
    ),
    Case(
        "download-base-backslash",
        (*BUILD, "--download-base", "https://mirror.example/py\\"),
        ("--download-base https://mirror.example/py\\: not an http(s) URL",),
    ),
    Case(
        "download-base-with-newline",
        (*BUILD, "--download-base", "https://mirror.example/py\n"),
        ("--download-base https://mirror.example/py\\n: not an http(s) URL",),
    ),
    Case(
        "registry-with-a-space",
        ("-C", "{root}", "build", "3.13.5", "--registry", "a b"),
        ("--registry a b: not a registry host 'a b'",),
    ),
    Case(
        "registry-with-a-path",
        ("-C", "{root}", "build", "3.13.5", "--registry", "localhost:5000/x"),
        ("--registry localhost:5000/x: not a registry host",),
    ),
    Case(
        "registry-port-out-of-range",
        ("-C", "{root}", "build", "3.13.5", "--registry", "localhost:99999"),
        ("--registry localhost:99999: registry host 'localhost:99999': port out of range",),
    ),
    Case(
        "repository-upper-case",
        (*BUILD, "--repository", "Python"),
        ("--repository Python: not a valid repository name 'Python'",),
    ),
    Case(
        "repository-empty-part",
        (*BUILD, "--repository", "team//python"),
        ("--repository team//python: not a valid repository name",),
    ),
    Case(
        "builder-name-with-a-space",
        (*BUILD, "--builder", "amd64=a b"),
        ("--builder 'amd64=a b': 'a b' is not a builder or context name",),
    ),
    Case(
        "builder-unknown-arch",
        (*BUILD, "--builder", "amd46=x"),
        ("--builder 'amd46=x': unknown architecture 'amd46' (did you mean 'amd64'?)",),
    ),
    Case("builder-without-name", (*BUILD, "--builder", "amd64"), ("expected ARCH=NAME",)),
    Case(
        "hub-mirror-not-a-host",
        (*BUILD, "--hub-mirror", "http://x"),
        ("--hub-mirror http://x: not a registry host",),
    ),
    Case("jobs-zero", (*BUILD, "--jobs", "0"), ("--jobs 0: must be at least 1",)),
    # argparse's own errors: usage and exit 2, no traceback to show even with --debug
    Case(
        "jobs-not-a-number",
        (*BUILD, "--jobs", "two"),
        ("argument --jobs/-j: invalid int",),
        debug=False,
    ),
    Case(
        "results-without-push-by-digest",
        (*BUILD, "--results", "{scratch}/r.json"),
        ("--results: only with --push-by-digest",),
    ),
    Case("unknown-arch", (*BUILD, "--arch", "amd46"), ("--arch: unknown architecture 'amd46'",)),
    Case("unknown-variant", (*BUILD, "--variant", "bookwrm"), ("unknown variant 'bookwrm'",)),
    Case(
        "unknown-version",
        ("-C", "{root}", "build", "3.99.0", "--registry", NO_REGISTRY),
        ("matrix.yml: no Python line or version '3.99.0'",),
    ),
    Case(
        "require-unknown-arch",
        (*BUILD, "--keep-going", "--require", "amd46"),
        ("amd46",),
    ),
    Case(
        "strategy-unknown",
        (*DRY, "--strategy", "qemu"),
        ("argument --strategy: invalid choice: 'qemu'",),
        debug=False,
    ),
    Case(
        "root-without-matrix",
        ("-C", "{scratch}", "plan", "3.13.5"),
        ("no matrix.yml here",),
    ),
    Case("plan-unknown-arch", ("-C", "{root}", "plan", "3.13.5", "--arch", "arm"), ("--arch",)),
    Case(
        "render-unknown-version",
        ("-C", "{root}", "render", "3.99.0"),
        ("no Python line or version '3.99.0'",),
    ),
    Case(
        "report-digest-not-hex",
        ("report", "python@sha256:zz"),
        ("python@sha256:zz: digest 'sha256:zz': expected sha256: and 64 lower-case hex digits",),
    ),
    Case(
        "report-digest-unknown-algorithm",
        ("report", "python@md5:" + "0" * 32),
        ("unsupported algorithm 'md5'",),
    ),
    Case(
        "report-registry-host-with-a-space",
        ("report", "local host:5000/python:x"),
        ("not a registry host 'local host:5000'",),
    ),
    Case(
        "report-tag-too-long",
        ("report", f"{NO_REGISTRY}/python:{'x' * 200}"),
        ("not a valid tag",),
    ),
    Case(
        "report-registry-flag",
        ("report", "--registry", "a b", "python:3"),
        ("--registry a b: not a registry host",),
    ),
    Case(
        "report-ca-file-missing",
        ("report", "--ca-file", "{scratch}/ca.pem", REPORT_AT),
        ("--ca-file", "ca.pem: no such file"),
    ),
    Case(
        "report-diff-and-ref",
        ("report", "--diff", "{scratch}/a.json", "{scratch}/b.json", "python:3"),
        ("--diff takes two JSON files and no REF",),
    ),
    Case("report-nothing", ("report",), ("name at least one REF",)),
    Case(
        "manifest-registry",
        (*MANIFEST, "--registry", "a/b"),
        ("--registry a/b: not a registry host",),
    ),
    Case(
        "manifest-repository",
        (*MANIFEST, "--repository", "x-"),
        ("--repository x-: not a valid repository name",),
    ),
    Case(
        "manifest-require-without-keep-going",
        (*MANIFEST, "--require", "amd64"),
        ("--require only applies with --keep-going",),
    ),
)


# Through the console script in the default run (every case with -m slow).
CLI = {"download-base-ftp", "registry-with-a-space", "report-digest-not-hex", "unknown-arch"}


@pytest.mark.parametrize("case", FLAG_CASES, ids=ids(FLAG_CASES))
def test_bad_flag(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_in_process(case, tmp_path, capsys, monkeypatch)


@pytest.mark.parametrize("case", cli_params(FLAG_CASES, CLI))
def test_bad_flag_through_the_console_script(case: Case, tmp_path: Path) -> None:
    run_case(case, tmp_path)
