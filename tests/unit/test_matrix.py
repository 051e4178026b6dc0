"""matrix.yml loading: the real file, and one bad-matrix fixture per failure mode.

Each ``tests/data/bad-matrix/<mode>.yml`` holds one kind of mistake (some several instances of
it, to show that every problem is reported at once); ``<mode>.expected`` holds the exact
messages, in order.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from string import Template

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
        "trailing-newline",
        "schema-boolean",
        "schema-float",
        "empty-lines",
        "empty-variants",
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


def test_empty_lines_exit_2_and_render_deletes_no_dockerfile(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "dockerfiles", root / "dockerfiles")
    before = {p: p.read_bytes() for p in (root / "dockerfiles").rglob("*") if p.is_file()}
    text = (root / "matrix.yml").read_text()
    head = text[: text.index("\nlines:\n") + 1]  # lines: is the last section
    (root / "matrix.yml").write_text(head + "lines: {}\n")
    assert main(["-q", "-C", str(root), "render"]) == 2
    line = head.count("\n") + 1
    assert f"matrix.yml:{line}: lines: must name at least one line" in capsys.readouterr().err
    after = {p: p.read_bytes() for p in (root / "dockerfiles").rglob("*") if p.is_file()}
    assert after == before


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(
        ConfigError, match=r"^matrix\.yml:4: \(yaml\): expected .,. or .\].. but got .:."
    ):
        matrix.loads("schema: 1\nvariants:\n  - [unclosed\nlines: {}\n")


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"matrix\.yml:1: \(top\): expected a mapping"):
        matrix.loads("- a\n- b\n")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("true", "expected an integer, got a boolean true"),
        ("1.0", "expected an integer, got a number 1.0"),
        ('"1"', "expected an integer, got a string '1'"),
        ("[1]", "expected an integer, got a list"),
        ("2", "unsupported schema 2 (expected 1)"),
    ],
)
def test_schema_must_be_the_integer_1(written: str, message: str) -> None:
    text = (REPO / "matrix.yml").read_text()
    line = text.splitlines().index("schema: 1") + 1
    with pytest.raises(ConfigError) as info:
        matrix.loads(text.replace("\nschema: 1\n", f"\nschema: {written}\n"))
    assert list(info.value.problems) == [f"matrix.yml:{line}: schema: {message}"]
    assert info.value.exit_code == 2


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


# -- every value checked against a pattern is checked whole: a trailing newline is refused

WHOLE_VALUES = Template("""\
schema: 1
builders:
  i386: $builder
profile_tasks:
  $task: [-m test.regrtest --pgo, test_array]
variants:
  bookworm:
    family: debian
    template: modern
    parent: buildpack-deps:bookworm
    arches: [amd64, i386]
  $variant:
    family: debian
    template: $template
    parent: $parent
    arches: [amd64]
  windowsservercore-ltsc2022:
    family: windowsservercore
    template: modern
    parent: mcr.microsoft.com/windows/servercore:ltsc2022
    arches: [windows-amd64]
    os_version: $os_version
lines:
  "3.13":
    version: 3.13.5
    aliases: [$alias]
    sha256: $sha256
    variants: [bookworm, windowsservercore-ltsc2022]
    build_args:
      $build_arg: quick
  $line:
    version: $version
    gpg_key: $gpg_key
    pip:
      version: $pip_version
      get_pip_url: $pip_url
      get_pip_sha256: $pip_sha256
    variants: [bookworm]
""")
GOOD_VALUES = {
    "builder": "farm-i386",
    "task": "quick",
    "variant": "trixie",
    "template": "modern",
    "parent": "buildpack-deps:trixie",
    "os_version": "10.0.20348.2527",
    "alias": "latest",
    "sha256": "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640",
    "build_arg": "PYTHON_BUILD_PROFILE",
    "line": "3.7",
    "version": "3.7.4",
    "gpg_key": "0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D",
    "pip_version": "19.2.1",
    "pip_url": "https://github.com/pypa/get-pip/raw/0c72a3b/get-pip.py",
    "pip_sha256": "201edc6df416da971e64cc94992d2dd24bc328bada7444f0c4f2031ae31e8dad",
}
# The key path each value is reported at ({} is where a mapping key is the value itself).
WHOLE_VALUE_PATHS = {
    "builder": "builders.i386",
    "task": "profile_tasks.{}",
    "variant": "variants.{}",
    "template": "variants.trixie.template",
    "parent": "variants.trixie.parent",
    "os_version": "variants.windowsservercore-ltsc2022.os_version",
    "alias": "lines.3.13.aliases[0]",
    "sha256": "lines.3.13.sha256",
    "build_arg": "lines.3.13.build_args.{}",
    "line": "lines.{}",
    "version": "lines.3.7.version",
    "gpg_key": "lines.3.7.gpg_key",
    "pip_version": "lines.3.7.pip.version",
    "pip_url": "lines.3.7.pip.get_pip_url",
    "pip_sha256": "lines.3.7.pip.get_pip_sha256",
}


def _line_of(kind: str) -> int:
    """The line of matrix.yml that holds the value of this kind."""
    lines = WHOLE_VALUES.template.splitlines()
    return next(i for i, text in enumerate(lines, 1) if f"${kind}" in text)


def _whole_values(**changed: str) -> str:
    # JSON strings are YAML double-quoted scalars: "3.7\n" is the value with a newline.
    values = {k: json.dumps(v) for k, v in (GOOD_VALUES | changed).items()}
    return WHOLE_VALUES.substitute(values)


def test_the_whole_values_matrix_is_good() -> None:
    m = matrix.loads(_whole_values())
    assert [ln.name for ln in m.lines] == ["3.13", "3.7"]
    assert m.builders == {"i386": "farm-i386"}


@pytest.mark.parametrize("kind", sorted(GOOD_VALUES))
def test_a_trailing_newline_is_refused_where_it_is_written(kind: str) -> None:
    value = GOOD_VALUES[kind] + "\n"
    line = _line_of(kind)
    path = WHOLE_VALUE_PATHS[kind].format(GOOD_VALUES[kind] + "\\n")
    with pytest.raises(ConfigError) as info:
        matrix.loads(_whole_values(**{kind: value}))
    (problem,) = info.value.problems
    assert problem.startswith(f"matrix.yml:{line}: {path}: "), problem
    assert repr(value) in problem
    assert info.value.exit_code == 2


def test_a_block_scalar_brings_its_newline_and_is_refused() -> None:
    # The usual way a newline gets into a value: a ``|`` block scalar keeps the line break.
    text = _whole_values().replace(
        'gpg_key: "0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D"',
        "gpg_key: |\n      0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D",
    )
    with pytest.raises(ConfigError) as info:
        matrix.loads(text)
    assert list(info.value.problems) == [
        f"matrix.yml:{_line_of('gpg_key')}: lines.3.7.gpg_key: "
        "'0D96DF4D4110E5C43FBFB17F2D347EA6AA65421D\\n' is not "
        "a GPG fingerprint (40 upper-case hex digits)"
    ]


# -- conformance_tests: the regrtest tests the conformance check of a cross-built image runs


def _with_top_level(text: str) -> str:
    """The real matrix.yml with ``text`` inserted just before ``variants:`` (a top-level key)."""
    real = (REPO / "matrix.yml").read_text()
    return real.replace("\nvariants:\n", f"\n{text}variants:\n", 1)


def _line_before_variants() -> int:
    """The line ``_with_top_level`` puts its first inserted line on."""
    return (REPO / "matrix.yml").read_text().splitlines().index("variants:") + 1


def test_conformance_tests_default_when_absent() -> None:
    m = matrix.load(REPO / "matrix.yml")
    assert m.conformance_tests == matrix.DEFAULT_CONFORMANCE_TESTS
    assert m.conformance_tests[:3] == ("test_ssl", "test_decimal", "test_math")


def test_conformance_tests_are_read_in_order() -> None:
    m = matrix.loads(_with_top_level("conformance_tests: [test_struct, test_ctypes, test_zlib]\n"))
    assert m.conformance_tests == ("test_struct", "test_ctypes", "test_zlib")


def test_bad_conformance_tests_are_reported_where_written() -> None:
    first = _line_before_variants()
    text = _with_top_level(
        "conformance_tests:\n"
        "  - test_ctypes\n"
        "  - test-ssl\n"
        "  - test_ctypes\n"
        "  - 3\n"
        "  - Test_Math\n"
        '  - "test_zlib\\n"\n'  # a YAML double-quoted newline
    )
    with pytest.raises(ConfigError) as info:
        matrix.loads(text)
    assert list(info.value.problems) == [
        f"matrix.yml:{first + 2}: conformance_tests[1]: "
        "'test-ssl' is not a regrtest test name (test_[a-z0-9_]+)",
        f"matrix.yml:{first + 3}: conformance_tests[2]: 'test_ctypes' is listed twice",
        f"matrix.yml:{first + 4}: conformance_tests[3]: expected a string, got a number",
        f"matrix.yml:{first + 5}: conformance_tests[4]: "
        "'Test_Math' is not a regrtest test name (test_[a-z0-9_]+)",
        f"matrix.yml:{first + 6}: conformance_tests[5]: "
        "'test_zlib\\n' is not a regrtest test name (test_[a-z0-9_]+)",
    ]
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("conformance_tests: []\n", "conformance_tests: must name at least one test"),
        ("conformance_tests: test_ssl\n", "conformance_tests: expected a list, got a string"),
        ("conformance_tests: {test_ssl: 1}\n", "conformance_tests: expected a list, got a mapping"),
        ("conformance_test: [test_ssl]\n", "conformance_test: unknown key (did you mean "),
    ],
)
def test_conformance_tests_must_be_a_list_of_tests(written: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        matrix.loads(_with_top_level(written))
    (problem,) = info.value.problems
    assert problem.startswith(f"matrix.yml:{_line_before_variants()}: {message}"), problem
