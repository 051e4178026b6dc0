"""matrix.yml loading: the real file, and one bad-matrix fixture per failure mode.

Each ``tests/data/bad-matrix/<mode>.yml`` holds one kind of mistake (some several instances of
it, to show that every problem is reported at once); ``<mode>.expected`` holds the exact
messages, in order.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestrator import matrix
from orchestrator.cli import main
from orchestrator.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
BAD = Path(__file__).resolve().parents[1] / "data" / "bad-matrix"
FIXTURES = sorted(p.stem for p in BAD.glob("*.yml"))


def test_every_failure_mode_has_a_fixture() -> None:
    assert set(FIXTURES) >= {
        "unknown-key",
        "wrong-type",
        "unknown-arch",
        "duplicate-variant",
        "bad-version",
        "unsafe-name",
        "tag-collision",
        "prerelease-tags",
        "bad-references",
        "unknown-strategy",
        "strategies-wrong-type",
        "strategy-rule-keys",
        "strategy-references",
    }


@pytest.mark.parametrize("mode", FIXTURES)
def test_bad_matrix_reports_every_problem(mode: str) -> None:
    text = (BAD / f"{mode}.yml").read_text(encoding="utf-8")
    expected = (BAD / f"{mode}.expected").read_text(encoding="utf-8").splitlines()
    with pytest.raises(ConfigError) as info:
        matrix.loads(text, Path("matrix.yml"))
    assert list(info.value.problems) == expected
    assert info.value.exit_code == 2


@pytest.mark.parametrize("mode", FIXTURES)
def test_bad_matrix_exits_2_through_the_cli_and_renders_nothing(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(BAD / f"{mode}.yml", tmp_path / "matrix.yml")
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    assert main(["-q", "-C", str(tmp_path), "render"]) == 2
    err = capsys.readouterr().err
    for line in (BAD / f"{mode}.expected").read_text(encoding="utf-8").splitlines():
        assert line in err
    assert not (tmp_path / "dockerfiles").exists()


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(
        ConfigError, match=r"^matrix\.yml:4: \(yaml\): expected .,. or .\].. but got .:."
    ):
        matrix.loads("schema: 1\nvariants:\n  - [unclosed\nlines: {}\n")


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"matrix\.yml:1: \(top\): expected a mapping"):
        matrix.loads("- a\n- b\n")


def test_unquoted_line_name_is_refused() -> None:
    text = (REPO / "matrix.yml").read_text().replace('"3.6":', "3.6:")
    with pytest.raises(ConfigError, match=r"lines\.3\.6: line name 3\.6 must be a string"):
        matrix.loads(text)


def test_the_real_matrix() -> None:
    m = matrix.load(REPO / "matrix.yml")
    assert [ln.name for ln in m.lines] == ["3.8-rc", "3.7", "3.6", "3.13"]
    rc = m.line_for("rc")
    assert rc.version == "3.8.0b3" and rc.prerelease and rc.release == "3.8.0"
    assert rc.defaults == matrix.Defaults(debian="buster", slim="slim-buster", alpine="alpine3.10")
    assert rc.gpg_key == "E3FF2839C048B25C084DEBE9B26995E310250568"
    assert rc.pip is not None and rc.pip.version == "19.2.1"
    assert "stretch" not in rc.variants and "alpine3.9" not in rc.variants
    assert rc.profile_task_for("buster", "arm32v7") == "regrtest-pgo-2019"
    assert rc.profile_task_for("buster", "amd64") is None
    assert rc.profile_task_for("slim-buster", "arm32v7") is None
    py37 = m.line_for("3.7.4")
    assert py37.aliases == ("3", "latest") and not py37.prerelease
    py313 = m.line_for("3.13")
    assert py313.sha256 == "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
    assert py313.gpg_key is None and py313.pip is None
    assert py313.defaults.debian == "bookworm"
    assert m.variants["trixie"].arches == ("amd64", "arm64v8")
    assert m.variants["bookworm"].arches == (
        "amd64",
        "arm32v5",
        "arm32v7",
        "arm64v8",
        "i386",
        "ppc64le",
        "s390x",
    )
    assert m.variants["windowsservercore-1803"].os_version == "10.0.17134.885"
    assert m.profile_tasks["regrtest-pgo-2019"][0] == "-m test.regrtest --pgo"
    assert len(m.profile_tasks["regrtest-pgo-2019"]) == 34
    assert m.builders == {}
    # No line asks for a strategy: every job is ``auto`` (today's native/emulated split).
    assert all(ln.strategies == () for ln in m.lines)
    assert py313.strategy_for("bookworm", "arm64v8") == "auto"


def test_unknown_version_has_a_hint() -> None:
    m = matrix.load(REPO / "matrix.yml")
    with pytest.raises(ConfigError, match=r"no Python line or version '3\.7\.5' \(did you mean"):
        m.line_for("3.7.5")


STRATEGY_RULES = """\
    strategies:
      - strategy: native
        variants: [bookworm]
        arches: [amd64]
      - strategy: cross
        arches: [arm64v8, amd64]
      - strategy: emulate
        variants: [slim-bookworm]
"""


def _with_strategies(rules: str) -> matrix.Matrix:
    text = (REPO / "matrix.yml").read_text()
    anchor = "    version: 3.13.5\n"
    assert anchor in text
    return matrix.loads(text.replace(anchor, anchor + rules))


def test_strategy_rules_first_match_wins() -> None:
    line = _with_strategies(STRATEGY_RULES).line_for("3.13")
    assert line.strategies == (
        matrix.StrategyRule("native", ("bookworm",), ("amd64",)),
        matrix.StrategyRule("cross", (), ("arm64v8", "amd64")),
        matrix.StrategyRule("emulate", ("slim-bookworm",), ()),
    )
    assert line.strategy_for("bookworm", "amd64") == "native"
    assert line.strategy_for("trixie", "amd64") == "cross"
    assert line.strategy_for("slim-bookworm", "arm64v8") == "cross"
    assert line.strategy_for("slim-bookworm", "s390x") == "emulate"
    assert line.strategy_for("bookworm", "s390x") == "auto"  # no rule matches


def test_every_strategy_name_is_accepted() -> None:
    for name in matrix.STRATEGIES:
        line = _with_strategies(f"    strategies: [{{strategy: {name}}}]\n").line_for("3.13")
        assert line.strategy_for("bookworm", "i386") == name
    assert matrix.STRATEGIES == ("auto", "native", "emulate", "cross")
