"""plan.expand over the real matrix.yml: ids, platforms, Dockerfiles, exclusions and filters.

The tags and manifest lists of the plan are tested in test_tags.py.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import pytest

from orchestrator import matrix, plan
from orchestrator.cli import main
from orchestrator.errors import ConfigError, UsageError
from orchestrator.platforms import Platform
from tests.unit.planning import LINUX7, WINDOWS, tags_of

REPO = Path(__file__).resolve().parents[2]


def test_38rc_job_ids_in_matrix_order(m: matrix.Matrix) -> None:
    p = plan.expand(m, "3.8.0b3")
    assert p.version == "3.8.0b3" and p.line == "3.8-rc"
    ids = [j.id for j in p.jobs]
    assert ids[:7] == [f"3.8.0b3-buster-{a}" for a in LINUX7]
    assert ids[7:14] == [f"3.8.0b3-slim-buster-{a}" for a in LINUX7]
    assert ids[-3:] == [f"3.8.0b3-{w}-windows-amd64" for w in WINDOWS]
    assert len(ids) == len(set(ids)) == 24


def test_313_line(m: matrix.Matrix) -> None:
    p = plan.expand(m, "3.13.5")
    assert [j.id for j in p.jobs if j.variant == "trixie"] == [
        "3.13.5-trixie-amd64",
        "3.13.5-trixie-arm64v8",
    ]
    assert tags_of(p, "bookworm") == (
        ("3.13.5-bookworm", "3.13-bookworm"),
        ("3.13.5", "3.13"),
    )
    assert tags_of(p, "slim-bookworm")[0] == (
        "3.13.5-slim-bookworm",
        "3.13-slim-bookworm",
        "3.13.5-slim",
        "3.13-slim",
    )
    assert tags_of(p, "trixie") == (("3.13.5-trixie", "3.13-trixie"), ())
    job = p.job("3.13.5-slim-bookworm-amd64")
    assert job.parent == "debian:bookworm-slim"
    assert job.family == "debian-slim"
    assert job.dockerfile == PurePosixPath("dockerfiles/3.13/slim-bookworm/Dockerfile")
    assert job.context == PurePosixPath("dockerfiles/3.13/slim-bookworm")
    # PYTHON_DOWNLOAD_BASE / PYTHON_BUILD_PROFILE are supplied by the build, not the plan.
    assert job.build_args == ()
    assert job.pgo and job.profile_task is None
    excluded = {e.id: e.reason for e in p.excluded}
    assert "3.13.5-trixie-i386" in excluded


def test_job_fields_for_a_profile_task_arch(m: matrix.Matrix) -> None:
    p = plan.expand(m, "3.8.0b3")
    job = p.job("3.8.0b3-buster-arm32v7")
    assert job.platform == Platform("linux", "arm", "v7")
    assert job.dockerfile == PurePosixPath("dockerfiles/3.8-rc/buster/arm32v7/Dockerfile")
    assert job.profile_task is not None
    assert job.profile_task.startswith("-m test.regrtest --pgo test_array test_base64 ")
    assert job.profile_task.endswith(" test_traceback test_unicode")
    assert job.emulated and job.pgo
    amd = p.job("3.8.0b3-buster-amd64")
    assert amd.profile_task is None and not amd.emulated and amd.pgo
    assert amd.dockerfile == PurePosixPath("dockerfiles/3.8-rc/buster/Dockerfile")
    win = p.job("3.8.0b3-windowsservercore-1809-windows-amd64")
    assert not win.pgo and not win.emulated and win.profile_task is None
    assert amd.builder is None


def test_filters_and_excluded_reasons(m: matrix.Matrix) -> None:
    p = plan.expand(m, "3.8-rc", arches=["amd64", "windows-amd64"], variants=["buster"])
    assert [j.id for j in p.jobs] == ["3.8.0b3-buster-amd64"]
    reasons = {e.id: e.reason for e in p.excluded}
    assert reasons["3.8.0b3-buster-arm64v8"] == "not selected by --arch"
    assert reasons["3.8.0b3-slim-buster-amd64"] == "not selected by --variant"
    assert (
        reasons["3.8.0b3-stretch"] == "line 3.8-rc has no stretch variant (lines.3.8-rc.variants)"
    )
    assert p.tag_map()["3.8-rc"] == ("3.8.0b3-buster-amd64",)


def test_unknown_selection_is_a_usage_error_with_hints(m: matrix.Matrix) -> None:
    with pytest.raises(UsageError) as info:
        plan.expand(m, "3.8.0b3", arches=["arm64"], variants=["bustr", "stretch"])
    assert info.value.exit_code == 2
    assert info.value.problems == (
        "--arch: unknown architecture 'arm64' (did you mean 'arm64v8'?)",
        "--variant: unknown variant 'bustr' (did you mean 'buster'?)",
        "--variant: line 3.8-rc has no variant 'stretch' (it has buster, slim-buster, "
        "alpine3.10, windowsservercore-ltsc2016, windowsservercore-1803, windowsservercore-1809)",
    )
    with pytest.raises(ConfigError, match=r"no Python line or version '3\.8\.0b4'"):
        plan.expand(m, "3.8.0b4")


def test_builders_reach_the_jobs(m: matrix.Matrix) -> None:
    text = (REPO / "matrix.yml").read_text().replace("builders: {}", "builders: {arm64v8: d2}")
    m2 = matrix.loads(text)
    p = plan.expand(m2, "3.13.5")
    assert {j.builder for j in p.jobs if j.arch == "arm64v8"} == {"d2"}
    assert {j.builder for j in p.jobs if j.arch != "arm64v8"} == {None}


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "-C", str(REPO), "plan", "3.8.0b3", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == "3.8.0b3"
    job = data["jobs"][2]
    assert job["id"] == "3.8.0b3-buster-arm32v7"
    assert job["platform"] == {"architecture": "arm", "os": "linux", "variant": "v7"}
    assert job["dockerfile"] == "dockerfiles/3.8-rc/buster/arm32v7/Dockerfile"
    assert job["build_args"] == {}
    assert job["tags"] == ["3.8.0b3-buster", "3.8-rc-buster", "rc-buster"]
    assert data["tags"]["3.8-rc"][-1] == "3.8.0b3-windowsservercore-1809-windows-amd64"
    win = data["jobs"][-1]
    assert win["platform"]["os.version"] == "10.0.17763.615"


def test_cli_github(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "-C", str(REPO), "plan", "3.13.5", "--format", "github"]) == 0
    data = json.loads(capsys.readouterr().out)
    arches = [e["arch"] for e in data["include"]]
    assert arches == LINUX7
    arm64 = data["include"][3]
    assert arm64["platform"] == "linux/arm64/v8"
    assert arm64["jobs"].split() == [
        "3.13.5-bookworm-arm64v8",
        "3.13.5-slim-bookworm-arm64v8",
        "3.13.5-trixie-arm64v8",
    ]


def test_cli_table_and_bad_arch(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "-C", str(REPO), "plan", "3.8.0b3", "--arch", "arm32v7"]) == 0
    out = capsys.readouterr().out
    assert "3.8.0b3-buster-arm32v7" in out and "linux/arm/v7" in out
    assert "excluded:" in out and "not selected by --arch" in out
    assert main(["-q", "-C", str(REPO), "plan", "3.8.0b3", "--arch", "armv7"]) == 2
    assert "did you mean 'arm32v7'?" in capsys.readouterr().err
