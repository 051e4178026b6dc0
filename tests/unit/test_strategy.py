"""How each job is built: ``strategy.resolve`` in every case, ``resolve_plan`` over the real
matrix, ``--strategy`` on ``plan``, and a cross template making ``auto`` cross."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from orchestrator import matrix, plan, render, strategy
from orchestrator.cli import main
from orchestrator.errors import ConfigError, UsageError

REPO = Path(__file__).resolve().parents[2]


def job_of(m: matrix.Matrix, arch: str, asked: str = "auto", variant: str = "bookworm") -> plan.Job:
    job = plan.expand(m, "3.13.5").job(f"3.13.5-{variant}-{arch}")
    return replace(job, strategy=asked)


def resolve(job: plan.Job, *, routed: bool = False, cross: bool = False) -> str:
    return strategy.resolve(job, routed=routed, has_cross_template=cross)


@pytest.mark.parametrize("arch", ["amd64", "i386"])
def test_auto_is_native_where_the_host_runs_the_platform(m: matrix.Matrix, arch: str) -> None:
    assert resolve(job_of(m, arch)) == "native"
    assert resolve(job_of(m, arch), cross=True) == "native"  # a cross template changes nothing


@pytest.mark.parametrize("arch", ["arm32v5", "arm32v7", "arm64v8", "ppc64le", "s390x"])
def test_auto_for_an_emulated_arch_is_cross_with_a_template_else_emulate(
    m: matrix.Matrix, arch: str
) -> None:
    assert resolve(job_of(m, arch)) == "emulate"
    assert resolve(job_of(m, arch), cross=True) == "cross"


def test_auto_for_a_routed_arch_is_native(m: matrix.Matrix) -> None:
    assert resolve(job_of(m, "arm64v8"), routed=True) == "native"
    assert resolve(job_of(m, "arm64v8"), routed=True, cross=True) == "native"


def test_windows_is_native(m: matrix.Matrix) -> None:
    win = plan.expand(m, "3.8.0b3").job("3.8.0b3-windowsservercore-1809-windows-amd64")
    assert win.strategy == "auto" and resolve(win) == "native"


def test_explicit_native_needs_a_builder_that_runs_the_platform(m: matrix.Matrix) -> None:
    assert resolve(job_of(m, "amd64", "native")) == "native"
    assert resolve(job_of(m, "arm64v8", "native"), routed=True) == "native"
    with pytest.raises(ConfigError) as info:
        resolve(job_of(m, "arm64v8", "native"), cross=True)
    assert info.value.exit_code == 2
    assert info.value.problems == (
        "3.13.5-bookworm-arm64v8: strategy native: the default builder runs linux/arm64/v8 only "
        "under emulation (route arm64v8 to a builder that runs it natively: matrix.yml builders "
        "or --builder arm64v8=NAME; or ask for emulate or auto)",
    )


def test_explicit_cross_needs_a_cross_template(m: matrix.Matrix) -> None:
    assert resolve(job_of(m, "arm64v8", "cross"), cross=True) == "cross"
    # where the builder runs the platform natively there is nothing to cross to: native, so
    # ``--strategy cross`` over a whole release builds amd64 and i386 natively, template or not
    assert resolve(job_of(m, "arm64v8", "cross"), routed=True, cross=True) == "native"
    assert resolve(job_of(m, "amd64", "cross"), cross=True) == "native"
    assert resolve(job_of(m, "i386", "cross")) == "native"
    with pytest.raises(ConfigError) as info:
        resolve(job_of(m, "s390x", "cross", "slim-bookworm"))
    assert info.value.problems == (
        "3.13.5-slim-bookworm-s390x: strategy cross: variant slim-bookworm has no cross "
        "template (debian-slim.cross.Dockerfile.j2 in its template set; ask for emulate or auto)",
    )


def test_explicit_emulate_emulates_only_what_needs_it(m: matrix.Matrix) -> None:
    assert resolve(job_of(m, "arm64v8", "emulate"), cross=True) == "emulate"
    assert resolve(job_of(m, "arm64v8", "emulate"), routed=True) == "native"
    assert resolve(job_of(m, "amd64", "emulate")) == "native"


def test_routed_means_a_named_builder(m: matrix.Matrix) -> None:
    arm = job_of(m, "arm64v8")
    assert not strategy.is_routed(arm, {})
    assert strategy.is_routed(arm, {"arm64v8": "context:d2"})
    assert not strategy.is_routed(arm, {"arm64v8": "default"})
    assert not strategy.is_routed(arm, {"amd64": "d2"})
    assert strategy.is_routed(replace(arm, builder="d2"), {})
    assert not strategy.is_routed(replace(arm, builder="d2"), {"arm64v8": "default"})


def no_cross(variant: matrix.Variant) -> bool:
    return False


def test_auto_reproduces_todays_plan(m: matrix.Matrix) -> None:
    for line in m.lines:
        before = plan.expand(m, line.version)
        after = strategy.resolve_plan(before, m, has_cross_template=no_cross)
        assert after.manifests == before.manifests and after.excluded == before.excluded
        for old, new in zip(before.jobs, after.jobs, strict=True):
            assert old.strategy == "auto"
            assert new.strategy == ("emulate" if old.emulated else "native")
            assert replace(new, strategy="auto") == old  # nothing else moves


def test_a_routed_arch_resolves_native(m: matrix.Matrix) -> None:
    p = plan.expand(m, "3.13.5", arches=["arm64v8", "s390x"])
    resolved = strategy.resolve_plan(p, m, has_cross_template=no_cross, builders={"s390x": "z"})
    assert {j.arch: j.strategy for j in resolved.jobs} == {"arm64v8": "emulate", "s390x": "native"}


def test_the_override_replaces_the_matrix_and_every_problem_is_named(m: matrix.Matrix) -> None:
    text = (REPO / "matrix.yml").read_text()
    anchor = "    version: 3.13.5\n"
    m2 = matrix.loads(text.replace(anchor, anchor + "    strategies: [{strategy: native}]\n"))
    asked = plan.expand(m2, "3.13.5", arches=["amd64", "arm64v8"], variants=["bookworm"])
    assert [j.strategy for j in asked.jobs] == ["native", "native"]
    with pytest.raises(ConfigError) as info:
        strategy.resolve_plan(asked, m2, has_cross_template=no_cross)
    assert [p.split(":")[0] for p in info.value.problems] == ["3.13.5-bookworm-arm64v8"]
    both = plan.expand(m2, "3.13.5", arches=["arm64v8", "s390x"], strategy="emulate")
    assert [j.strategy for j in both.jobs if j.variant == "bookworm"] == ["emulate", "emulate"]
    with pytest.raises(ConfigError) as info:
        strategy.resolve_plan(
            plan.expand(m2, "3.13.5", arches=["arm64v8", "s390x"], strategy="cross"),
            m2,
            has_cross_template=no_cross,
        )
    assert len(info.value.problems) == 5  # (slim-)bookworm on both arches, trixie's arm64v8
    with pytest.raises(UsageError, match=r"--strategy: unknown strategy 'crss' \(did you mean"):
        plan.expand(m2, "3.13.5", strategy="crss")


def test_a_cross_job_builds_its_own_dockerfile(m: matrix.Matrix) -> None:
    p = plan.expand(m, "3.8.0b3", arches=["amd64", "arm32v7"], variants=["buster"])
    resolved = strategy.resolve_plan(p, m, has_cross_template=lambda v: v.name == "buster")
    arm = resolved.job("3.8.0b3-buster-arm32v7")  # its own profile task, and cross
    assert arm.strategy == "cross"
    assert arm.dockerfile == PurePosixPath("dockerfiles/3.8-rc/buster/arm32v7/cross/Dockerfile")
    assert arm.context == PurePosixPath("dockerfiles/3.8-rc/buster/arm32v7/cross")
    amd = resolved.job("3.8.0b3-buster-amd64")
    assert amd.strategy == "native"
    assert amd.dockerfile == PurePosixPath("dockerfiles/3.8-rc/buster/Dockerfile")
    line, bookworm = m.line_for("3.13"), m.variants["bookworm"]
    assert plan.dockerfile_path(line, bookworm, "s390x", "cross") == PurePosixPath(
        "dockerfiles/3.13/bookworm/cross/Dockerfile"
    )
    for how in ("auto", "native", "emulate"):
        assert plan.dockerfile_path(line, bookworm, "s390x", how) == PurePosixPath(
            "dockerfiles/3.13/bookworm/Dockerfile"
        )


# --------------------------------------------------------------------------- the command line


def test_plan_json_has_each_jobs_resolved_strategy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "-C", str(REPO), "plan", "3.13.5", "--format", "json"]) == 0
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert {j["arch"]: j["strategy"] for j in jobs} == {
        "amd64": "native",
        "arm32v5": "cross",
        "arm32v7": "cross",
        "arm64v8": "cross",
        "i386": "native",
        "ppc64le": "cross",
        "s390x": "cross",
    }
    assert list(jobs[0])[-2:] == ["emulated", "strategy"]  # added after the existing keys
    # the 2019 template set has no cross templates: auto emulates its foreign architectures
    assert (
        main(["-q", "-C", str(REPO), "plan", "3.7.4", "--variant", "buster", "--format", "json"])
        == 0
    )
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert {j["arch"]: j["strategy"] for j in jobs if j["arch"] in ("amd64", "s390x")} == {
        "amd64": "native",
        "s390x": "emulate",
    }
    args = ["-q", "-C", str(REPO), "plan", "3.13.5", "--strategy", "emulate", "--format", "json"]
    assert main(args) == 0
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert {j["strategy"] for j in jobs if j["arch"] == "amd64"} == {"native"}


def test_plan_table_has_a_strategy_column(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["-q", "-C", str(REPO), "plan", "3.13.5", "--arch", "amd64", "--arch", "s390x"]
    assert main([*args, "--variant", "trixie", "--variant", "bookworm"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split() == ["JOB", "PLATFORM", "STRATEGY", "DOCKERFILE", "TAGS"]
    row = next(ln for ln in lines if ln.startswith("3.13.5-bookworm-s390x "))
    assert row.split()[:4] == [
        "3.13.5-bookworm-s390x",
        "linux/s390x",
        "cross",
        "dockerfiles/3.13/bookworm/cross/Dockerfile",
    ]
    assert lines[2].index("STRATEGY") == row.index("cross")


def test_plan_refuses_what_cannot_be_done(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["-q", "-C", str(REPO), "plan", "3.13.5", "--arch", "arm64v8", "--variant", "trixie"]
    assert main([*args, "--strategy", "native"]) == 2
    assert "3.13.5-trixie-arm64v8: strategy native: the default builder" in capsys.readouterr().err
    old = ["-q", "-C", str(REPO), "plan", "3.7.4", "--arch", "arm64v8", "--variant", "buster"]
    assert main([*old, "--strategy", "cross"]) == 2
    assert "3.7.4-buster-arm64v8: strategy cross: variant buster" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # argparse's choices
        main([*args, "--strategy", "qemu"])
    assert exited.value.code == 2
    assert "invalid choice: 'qemu'" in capsys.readouterr().err


# --------------------------------------------------------------------------- a cross template


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the repository whose only cross template is a one-line one for the modern
    Debian family (not for slim)."""
    shutil.copy(REPO / "matrix.yml", tmp_path / "matrix.yml")
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    shutil.copytree(REPO / "dockerfiles", tmp_path / "dockerfiles")
    (tmp_path / "templates/modern/debian-slim.cross.Dockerfile.j2").unlink()
    (tmp_path / "templates/modern/debian.cross.Dockerfile.j2").write_text(
        "{{ banner }}FROM --platform=$BUILDPLATFORM {{ variant.parent }} AS build\n"
    )
    return tmp_path


def test_a_cross_template_makes_auto_cross_where_it_would_emulate(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m = matrix.load(root / "matrix.yml")
    assert render.has_cross_template(root, m.variants["trixie"])
    assert not render.has_cross_template(root, m.variants["slim-bookworm"])
    assert render.has_cross_template(REPO, m.variants["slim-bookworm"])
    assert not render.has_cross_template(REPO, m.variants["buster"])
    assert (
        render.template_name(m.variants["trixie"], "cross") == "modern/debian.cross.Dockerfile.j2"
    )
    every = render.render_all(m, root, ("3.13.5",))
    cross = every[PurePosixPath("dockerfiles/3.13/trixie/cross/Dockerfile")]
    assert "templates/modern/debian.cross.Dockerfile.j2" in cross
    assert cross.endswith("FROM --platform=$BUILDPLATFORM buildpack-deps:trixie AS build\n")
    assert PurePosixPath("dockerfiles/3.13/slim-bookworm/cross/Dockerfile") not in every
    assert main(["-q", "-C", str(root), "plan", "3.13.5", "--format", "json"]) == 0
    jobs = {j["id"]: j for j in json.loads(capsys.readouterr().out)["jobs"]}
    assert jobs["3.13.5-trixie-arm64v8"]["strategy"] == "cross"
    assert jobs["3.13.5-trixie-arm64v8"]["dockerfile"] == "dockerfiles/3.13/trixie/cross/Dockerfile"
    assert jobs["3.13.5-trixie-amd64"]["strategy"] == "native"
    assert jobs["3.13.5-slim-bookworm-arm64v8"]["strategy"] == "emulate"
    p = strategy.resolve_plan(
        plan.expand(m, "3.13.5", arches=["arm64v8"], variants=["trixie"]),
        m,
        has_cross_template=lambda v: render.has_cross_template(root, v),
    )
    assert render.render_job(m, p.jobs[0], root=root) == cross
    assert main(["-q", "-C", str(root), "render", "3.13.5", "--dry-run", "--variant", "trixie",
                 "--arch", "arm64v8"]) == 0  # fmt: skip
    assert capsys.readouterr().out == cross
