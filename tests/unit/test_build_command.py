"""``orchestrate build`` argument handling (no engine: only parsing and option building), and
the options' declarations the flags come from."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
from pathlib import Path

import pytest

from orchestrator import cli, farm
from orchestrator.build import options, release, schedule
from orchestrator.build.options import PYTHON_ORG, BuildOptions
from orchestrator.commands import build
from orchestrator.errors import ConfigError, UsageError

REPO = Path(__file__).resolve().parents[2]


def parse(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(["-C", str(REPO), "build", *argv])


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ORCHESTRATE_FARM_DIR", str(tmp_path))  # no farm state: python.org
    opts = build.options_from(parse("3.13.5", "--arch", "amd64", "--arch", "i386"))
    assert opts.arches == ("amd64", "i386") and opts.variants == ()
    assert (opts.registry, opts.repository) == ("localhost:5000", "python")
    assert opts.image_repository == "localhost:5000/python"
    assert opts.profile == "quick" and opts.download_base is None  # parsing does no I/O
    assert release.download_base(opts, farm.source_mirror) == PYTHON_ORG  # the build's default
    assert opts.jobs == schedule.default_jobs() and opts.hub_mirror == "localhost:5000"
    assert not (opts.dry_run or opts.keep_going or opts.push_by_digest or opts.no_cache)
    assert opts.strategy is None  # what matrix.yml says


def test_every_bad_argument_is_reported_at_once() -> None:
    args = parse("3.13.5", "--jobs", "0", "--results", "out.json", "--builder", "arm64=d2")
    with pytest.raises(UsageError) as info:
        build.options_from(args)
    assert info.value.problems == (
        "--jobs 0: must be at least 1",
        "--results: only with --push-by-digest (a CI fan-out job)",
        "--builder 'arm64=d2': unknown architecture 'arm64' (did you mean 'arm64v8'?)",
    )


def test_flags_reach_the_options(tmp_path: Path) -> None:
    args = parse(
        "3.13", "--variant", "bookworm", "--registry", "r:5000", "--repository", "team/py",
        "--jobs", "3", "--dry-run", "--keep-going", "--require", "amd64", "--profile", "full",
        "--download-base", "http://127.0.0.1:8088/ftp/python", "--builder", "i386=context:d2",
        "--push-by-digest", "--results", str(tmp_path / "o.json"), "--oci-index",
        "--hub-mirror", "none", "--no-cache",
    )  # fmt: skip
    opts = build.options_from(args)
    assert opts.builders == {"i386": "context:d2"} and opts.hub_mirror is None
    assert opts.image_repository == "r:5000/team/py" and opts.jobs == 3
    assert opts.profile == "full" and opts.require == ("amd64",) and opts.keep_going
    assert opts.push_by_digest and opts.oci_index and opts.no_cache and opts.dry_run


def test_root_without_matrix_is_an_error(tmp_path: Path) -> None:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    args = cli.build_parser().parse_args(["-C", str(tmp_path), "build", "3.13.5"])
    with pytest.raises(ConfigError, match=r"no matrix\.yml"):
        build.options_from(args)


def test_the_download_base_is_the_flag_else_the_farm_mirror_else_python_org() -> None:
    mirror = "http://127.0.0.1:8088/ftp/python"
    opts = build.options_from(parse("3.13.5"))
    assert release.download_base(opts, lambda: mirror) == mirror
    assert release.download_base(opts, lambda: None) == PYTHON_ORG
    given = build.options_from(parse("3.13.5", "--download-base", "https://example.org/py"))
    assert release.download_base(given, lambda: mirror) == "https://example.org/py"


def test_every_option_is_declared_once_with_its_flag() -> None:
    # A field without a flag must be one the command sets itself (or tests do); every flag of
    # `build` is a field's. Adding an option means adding a field with its flag metadata.
    flagged = {f.name: how for f, how in options.flagged()}
    unflagged = {f.name for f in dataclasses.fields(BuildOptions)} - set(flagged)
    assert unflagged == {"root", "logs_dir", "state_dir", "policy"}
    namespace = vars(parse("3.13.5"))
    global_flags = {"root", "verbose", "quiet", "log_format", "debug", "command", "func"}
    assert set(namespace) - global_flags == {how.dest for how in flagged.values()}
    assert flagged["builders"].dest == "builder" and flagged["jobs"].dest == "jobs"


def test_strategy_flag(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("auto", "native", "emulate", "cross"):
        assert build.options_from(parse("3.13.5", "--strategy", name)).strategy == name
    with pytest.raises(SystemExit) as exited:
        parse("3.13.5", "--strategy", "qemu")
    assert exited.value.code == 2
    assert "invalid choice: 'qemu'" in capsys.readouterr().err
