"""How each job is built, through a whole build over the fakes (``build_fakes.py``): settled
before anything runs, labelled on every image, keyed when cross, counted in build slots, and
recorded and shown everywhere a job is."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from orchestrator import conformance, report, results
from orchestrator.build import journal, release, summary
from orchestrator.errors import ConfigError
from orchestrator.results import JobStatus
from tests.unit.build_fakes import (
    FakeDocker,
    FakePublish,
    FakeRegistry,
    make_connections,
    options,
    planned,
)

ARM = "3.13.5-trixie-arm64v8"


@pytest.fixture
def root(root: Path) -> Path:
    """The repository copy without its cross templates: ``auto`` emulates the foreign
    architectures there, as it does for any template set without one (the 2019 set); the
    tests that need a cross template write a small one (``cross_template``)."""
    for template in (root / "templates").glob("*/*.cross.Dockerfile.j2"):
        template.unlink()
    return root


def cross_template(root: Path) -> None:
    """A small cross template for the modern Debian variants (two stages, no compiler)."""
    (root / "templates/modern/debian.cross.Dockerfile.j2").write_text(
        "{{ banner }}FROM --platform=$BUILDPLATFORM {{ variant.parent }} AS build\n"
        "RUN make\nFROM {{ variant.parent }}\nCOPY --from=build /usr/local /usr/local\n"
    )


def cross_template_taking_build_python(root: Path) -> None:
    """``cross_template`` with the real templates' first stage: BUILD_PYTHON, by default the
    stage built from the native instructions."""
    (root / "templates/modern/debian.cross.Dockerfile.j2").write_text(
        "{{ banner }}ARG BUILD_PYTHON=build-python-native\n"
        "FROM --platform=$BUILDPLATFORM {{ variant.parent }} AS build-python-native\n"
        "RUN make\nFROM --platform=$BUILDPLATFORM ${BUILD_PYTHON} AS build-python\n"
        "FROM {{ variant.parent }}\nCOPY --from=build-python /usr/local /usr/local\n"
    )


def build_arg(argv: Sequence[str], name: str) -> str | None:
    values = [argv[i + 1] for i, a in enumerate(argv) if a == "--build-arg"]
    found = [v.split("=", 1)[1] for v in values if v.startswith(name + "=")]
    return found[0] if found else None


def builds(docker: FakeDocker) -> dict[str, tuple[str, ...]]:
    """The buildx argv of each arch built (not the conformance check's ``--target`` builds)."""
    return {
        c[c.index("--tag") + 1].rsplit("-", 1)[1]: c
        for c in docker.calls
        if "build" in c and "--target" not in c
    }


def label(argv: tuple[str, ...], name: str) -> str:
    values = [argv[i + 1] for i, a in enumerate(argv) if a == "--label"]
    (value,) = [v.split("=", 1)[1] for v in values if v.startswith(name + "=")]
    return value


# --------------------------------------------------------------------------- argv, slots


def test_every_build_carries_its_strategy_label_next_to_the_content_key() -> None:
    for arch, how, want in [
        ("amd64", "auto", "native"),
        ("arm64v8", "auto", "emulate"),
        ("arm64v8", "cross", "cross"),
    ]:
        argv = planned(arch, how=how).argv
        at = argv.index("io.orchestrate.content-key=" + "0" * 64)
        assert argv[at + 1 : at + 3] == ("--label", f"io.orchestrate.strategy={want}")


def test_heavy_follows_the_resolved_strategy() -> None:
    assert planned("arm64v8").strategy == "emulate" and planned("arm64v8").heavy
    assert planned("arm64v8", how="emulate").heavy
    cross = planned("arm64v8", how="cross")
    assert cross.strategy == "cross" and not cross.heavy  # compiles natively
    assert planned("arm64v8", how="cross", pgo=True, profile="full").heavy  # its PGO profile
    assert not planned("amd64", how="emulate").heavy  # nothing to emulate: native


# --------------------------------------------------------------------------- whole builds


def test_auto_builds_as_today_and_records_the_strategy_everywhere(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    out = root / "out.json"
    opts = options(
        root, arches=("amd64", "arm64v8"), variants=("trixie",), push_by_digest=True, results=out
    )
    outcome = release.build_release(opts, make_connections(docker, publish))
    assert {r.job_id: r.strategy for r in outcome.results} == {
        "3.13.5-trixie-amd64": "native",
        ARM: "emulate",
    }
    argv = builds(docker)
    assert label(argv["amd64"], "io.orchestrate.strategy") == "native"
    assert label(argv["arm64v8"], "io.orchestrate.strategy") == "emulate"
    assert argv["arm64v8"][argv["arm64v8"].index("--file") + 1].endswith("trixie/Dockerfile")
    text = summary.summary(outcome)
    assert "  built      3.13.5-trixie-amd64    native     0:00  sha256:" in text
    assert "  built      3.13.5-trixie-arm64v8  emulate    0:00  sha256:" in text
    _, read = results.read_results([str(out)])
    assert [r.strategy for r in read] == ["native", "emulate"]
    assert json.loads(out.read_text())["results"][1]["strategy"] == "emulate"
    record = journal.load(
        journal.path_for(root / ".orchestrate", "localhost:5000/python", "3.13.5"), "3.13.5"
    )
    assert record[ARM].strategy == "emulate"
    again = release.build_release(opts, make_connections(FakeDocker(docker.registry), publish))
    skipped = {r.job_id: (r.status, r.strategy) for r in again.results}
    assert skipped[ARM] == (JobStatus.SKIPPED, "emulate")


def test_dry_run_job_lines_show_the_strategy(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(root, arches=("amd64", "arm64v8"), variants=("trixie",), dry_run=True)
    text = summary.summary(release.build_release(opts, make_connections(docker, publish)))
    assert "\n  3.13.5-trixie-amd64    linux/amd64     native\n" in text
    assert "\n  3.13.5-trixie-arm64v8  linux/arm64/v8  emulate\n" in text
    assert "--label io.orchestrate.strategy=emulate" in text


def test_routing_an_arch_builds_it_natively(root: Path) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(
        root, arches=("arm64v8",), variants=("trixie",), builders={"arm64v8": "context:d2"}
    )
    outcome = release.build_release(opts, make_connections(docker, publish))
    assert [(r.status, r.strategy) for r in outcome.results] == [(JobStatus.BUILT, "native")]
    assert label(builds(docker)["arm64v8"], "io.orchestrate.strategy") == "native"


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("native", f"{ARM}: strategy native: the default builder runs linux/arm64/v8 only under"),
        ("cross", f"{ARM}: strategy cross: variant trixie has no cross template"),
    ],
)
def test_what_cannot_be_done_stops_the_build_before_anything_runs(
    root: Path, how: str, message: str
) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(root, arches=("amd64", "arm64v8"), variants=("trixie",), strategy=how)
    with pytest.raises(ConfigError) as info:
        release.build_release(opts, make_connections(docker, publish))
    assert info.value.exit_code == 2
    assert any(p.startswith(message) for p in info.value.problems), info.value.problems
    assert docker.calls == [] and not (root / "dockerfiles").exists()


def test_the_override_replaces_the_matrix(root: Path) -> None:
    anchor = "    version: 3.13.5\n"
    text = (
        (root / "matrix.yml")
        .read_text()
        .replace(anchor, anchor + "    strategies: [{strategy: native, arches: [arm64v8]}]\n")
    )
    (root / "matrix.yml").write_text(text)
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(root, arches=("amd64", "arm64v8"), variants=("trixie",))
    with pytest.raises(ConfigError, match="strategy native"):
        release.build_release(opts, make_connections(docker, publish))
    outcome = release.build_release(
        options(root, arches=("amd64", "arm64v8"), variants=("trixie",), strategy="emulate"),
        make_connections(docker, publish),
    )
    assert [r.strategy for r in outcome.results] == ["native", "emulate"]


def test_with_a_cross_template_auto_cross_compiles_with_its_own_dockerfile_and_key(
    root: Path,
) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(root, arches=("amd64", "arm64v8"), variants=("trixie",))
    emulated = release.build_release(
        options(root, arches=("amd64", "arm64v8"), variants=("trixie",), strategy="emulate"),
        make_connections(docker, publish),
    )
    cross_template(root)
    crossed = FakeDocker(docker.registry)
    outcome = release.build_release(opts, make_connections(crossed, publish))
    by_id = {r.job_id: r for r in outcome.results}
    assert (by_id[ARM].status, by_id[ARM].strategy) == (JobStatus.BUILT, "cross")
    assert by_id["3.13.5-trixie-amd64"].status is JobStatus.SKIPPED  # native: same key as before
    before = {r.job_id: r.content_key for r in emulated.results}
    assert by_id[ARM].content_key != before[ARM]  # the strategy is in the key when cross
    argv = builds(crossed)["arm64v8"]
    assert argv[argv.index("--file") + 1] == str(root / "dockerfiles/3.13/trixie/cross/Dockerfile")
    assert argv[-1] == str(root / "dockerfiles/3.13/trixie/cross")
    assert label(argv, "io.orchestrate.strategy") == "cross"
    assert (root / "dockerfiles/3.13/trixie/cross/Dockerfile").read_text().count("FROM") == 2
    # the cross job's conformance check: the test suite exported, the native image loaded, both
    # probed, regrtest run in the image; the summary is unchanged for a passing check
    targets = [c[c.index("--target") + 1] for c in crossed.calls if "--target" in c]
    assert targets == ["python-tests", "build-python"]
    runs = [c for c in crossed.calls if c[1] == "run" and any(a.endswith("-arm64v8") for a in c)]
    assert any(c[-2:] == ("-c", conformance.PROBE) for c in runs)
    assert any("test_decimal" in c for c in runs)
    log = (root / "logs/3.13.5" / f"{ARM}.log").read_text()
    assert "conformance: passed (11 tests: test_ssl test_decimal" in log


def test_a_cross_job_whose_interpreter_is_wrong_fails_and_nothing_is_published(
    root: Path,
) -> None:
    cross_template(root)
    docker, publish = FakeDocker(FakeRegistry(), bad_conformance={"arm32v7"}), FakePublish()
    opts = options(root, arches=("amd64", "arm32v7"), variants=("bookworm",))
    outcome = release.build_release(opts, make_connections(docker, publish))
    by_id = {r.job_id: r for r in outcome.results}
    failed = by_id["3.13.5-bookworm-arm32v7"]
    assert failed.status is JobStatus.FAILED
    assert failed.reason is not None and failed.reason.startswith(
        "conformance: MULTIARCH is 'arm-linux-gnueabi', should be 'arm-linux-gnueabihf'"
    )
    assert not any(c[0:2] == ("docker", "push") and "arm32v7" in c[2] for c in docker.calls)
    assert outcome.tags and not any(t.published for t in outcome.tags)  # every list held
    assert summary.exit_code(outcome, opts) == 1


def test_a_cross_job_takes_its_native_jobs_pushed_image_by_digest_as_build_python(
    root: Path,
) -> None:
    cross_template_taking_build_python(root)
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(root, arches=("amd64", "arm64v8"), variants=("trixie",))
    outcome = release.build_release(opts, make_connections(docker, publish))
    by_id = {r.job_id: r for r in outcome.results}
    native = by_id["3.13.5-trixie-amd64"]
    assert native.status is JobStatus.BUILT and native.digest
    image = f"{native.repository}@{native.digest}"
    # the build, the conformance export and the native image: every build of the cross job
    cross_builds = [c for c in docker.calls if "build" in c and "cross/Dockerfile" in str(c)]
    assert len(cross_builds) == 3
    assert all(build_arg(c, "BUILD_PYTHON") == image for c in cross_builds), cross_builds
    assert build_arg(builds(docker)["amd64"], "BUILD_PYTHON") is None
    # the key is the Dockerfile's, not the digest's: a second run skips the cross job
    again = release.build_release(opts, make_connections(FakeDocker(docker.registry), publish))
    assert {r.job_id: r.status for r in again.results}[ARM] is JobStatus.SKIPPED
    # without its native job in the run, the stage is built from the Dockerfile (from the cache)
    alone = FakeDocker(FakeRegistry())
    release.build_release(
        options(root, arches=("arm64v8",), variants=("trixie",), strategy="cross"),
        make_connections(alone, publish),
    )
    assert build_arg(builds(alone)["arm64v8"], "BUILD_PYTHON") is None


def test_a_skipped_native_job_lends_its_image_too(root: Path) -> None:
    cross_template_taking_build_python(root)
    registry, publish = FakeRegistry(), FakePublish()
    release.build_release(
        options(root, arches=("amd64",), variants=("trixie",)),
        make_connections(FakeDocker(registry), publish),
    )
    docker = FakeDocker(registry)
    outcome = release.build_release(
        options(root, arches=("amd64", "arm64v8"), variants=("trixie",)),
        make_connections(docker, publish),
    )
    by_id = {r.job_id: r for r in outcome.results}
    native = by_id["3.13.5-trixie-amd64"]
    assert native.status is JobStatus.SKIPPED and native.digest
    assert by_id[ARM].status is JobStatus.BUILT
    argv = builds(docker)["arm64v8"]
    assert build_arg(argv, "BUILD_PYTHON") == f"{native.repository}@{native.digest}"


# --------------------------------------------------------------------------- the report


def test_the_release_report_says_how_each_job_of_the_tag_was_built(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docker, publish = FakeDocker(FakeRegistry()), FakePublish()
    opts = options(root, arches=("amd64", "arm64v8"), variants=("trixie",))
    outcome = release.build_release(opts, make_connections(docker, publish))
    seen: dict[str, report.JobInfo] = {}

    def publish_report(ref: str, out: Path, *, job: report.JobInfo) -> tuple[Path, Path]:
        seen[ref] = job
        return out / "x.md", out / "x.json"

    monkeypatch.setattr(report, "publish_report", publish_report)
    release.write_reports(outcome.plan, outcome.tags, outcome.results, opts)
    job = seen["localhost:5000/python:3.13.5-trixie"]
    assert job.strategies == (("3.13.5-trixie-amd64", "native"), (ARM, "emulate"))


def test_json_report_job_info_lists_the_strategies() -> None:
    info = report.JobInfo("built", 1.0, None, (("a", "native"), ("b", "cross")))

    class Ref:
        registry, repository, tag = "r", "p", "t"

    data: dict[str, Any] = report.to_json(report.Report("p:t", "p"), Ref(), info)
    assert data["job"] == {
        "status": "built",
        "durationSeconds": 1.0,
        "contentKey": None,
        "strategies": {"a": "native", "b": "cross"},
    }
    assert (
        "strategies"
        not in report.to_json(report.Report("p:t", "p"), Ref(), report.JobInfo("x"))["job"]
    )
