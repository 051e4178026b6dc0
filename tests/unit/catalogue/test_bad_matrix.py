"""Catalogue, ``matrix.yml``: what the loader and the schema refuse, each at its line.

Every case is the real matrix.yml with one mistake (or a file made for the case), run as
``orchestrate render`` (which would write Dockerfiles if it got that far) and expected to exit
2 naming ``matrix.yml:LINE: key.path``, in well under the run's timeout (an alias bomb or a deep
nesting must not hang or exhaust the stack).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.catalogue.harness import (
    Case,
    Fixture,
    cli_params,
    edit,
    ids,
    run_case,
    run_in_process,
)

pytestmark = pytest.mark.real_processes

RENDER = ("-C", "{root}", "render")
PLAN = ("-C", "{root}", "plan", "3.13.5")
SCHEMA_LINE = "matrix.yml:7: schema:"

BOMB = "\n".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "schema: *i",
        "",
    ]
)


def _replace_by_a_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


MATRIX_CASES = (
    Case(
        "not-utf8",
        RENDER,
        ("matrix.yml:4: (yaml): not UTF-8 text (byte 0xe9 at column 6)",),
        files={"matrix.yml": Fixture("bad-input/matrix/not-utf8.yml")},
    ),
    Case(
        "control-character",
        RENDER,
        ("matrix.yml:106: (yaml): character U+0007 is not allowed in YAML",),
        files={"matrix.yml": Fixture("bad-input/matrix/control-character.yml")},
    ),
    Case(
        "nested-5000-deep",
        RENDER,
        ("matrix.yml:2: (yaml): nested more than 64 levels deep",),
        files={"matrix.yml": "schema: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n"},
    ),
    Case(
        "nested-3000-deep-block-style",
        RENDER,
        ("matrix.yml:65: (yaml): nested more than 64 levels deep",),
        files={"matrix.yml": "schema: 1\nx:\n" + "".join(f"{' ' * i}a:\n" for i in range(1, 3000))},
    ),
    Case(
        "alias-chain-3000-deep",
        RENDER,
        ("(yaml): nested more than 64 levels deep",),
        files={
            "matrix.yml": "schema: 1\nx0: &a0 [1]\n"
            + "".join(f"x{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 3000))
        },
    ),
    Case(
        "alias-bomb",
        RENDER,
        ("matrix.yml:6: (yaml): aliases expand the document to more than 100000 values",),
        files={"matrix.yml": BOMB},
    ),
    Case(
        "alias-bomb-where-a-value-is-quoted-back",
        RENDER,
        ("(yaml): aliases expand the document to more than 100000 values",),
        files={"matrix.yml": edit("    version: 3.13.5\n", "    version: *i\n")},
        setup=lambda root, _: (root / "matrix.yml").write_text(
            BOMB.replace("schema: *i\n", "") + (root / "matrix.yml").read_text()
        ),
    ),
    Case(
        "recursive-alias",
        RENDER,
        ("matrix.yml:2: (yaml): an alias refers to a node that contains it",),
        files={"matrix.yml": "schema: 1\nbuilders: &b [*b]\n"},
    ),
    Case(
        "integer-of-5000-digits",
        RENDER,
        ("matrix.yml:7: (yaml): an integer of more than 100 digits",),
        files={"matrix.yml": edit("\nschema: 1\n", "\nschema: " + "9" * 5000 + "\n")},
    ),
    Case(
        "hex-integer-of-5000-digits",
        RENDER,
        ("matrix.yml:7: (yaml): an integer of more than 100 digits",),
        files={"matrix.yml": edit("\nschema: 1\n", "\nschema: 0x" + "f" * 5000 + "\n")},
    ),
    Case(
        "unhashable-key-list",
        RENDER,
        ("matrix.yml:12: (yaml): a list cannot be a mapping key",),
        files={"matrix.yml": edit("builders: {}\n", "builders:\n  ? [amd64, i386]\n  : x\n")},
    ),
    Case(
        "unhashable-key-mapping",
        RENDER,
        ("matrix.yml:11: (yaml): a mapping cannot be a mapping key",),
        files={"matrix.yml": edit("builders: {}\n", "builders: {? {a: 1} : x}\n")},
    ),
    Case(
        "schema-true",
        RENDER,
        (f"{SCHEMA_LINE} expected an integer, got a boolean true",),
        files={"matrix.yml": edit("\nschema: 1\n", "\nschema: true\n")},
    ),
    Case(
        "int-tag-on-a-word",
        RENDER,
        ("matrix.yml:7: (yaml): not a valid !!int value",),
        files={"matrix.yml": edit("\nschema: 1\n", "\nschema: !!int one\n")},
    ),
    Case(
        "python-object-tag",
        RENDER,
        ("matrix.yml:7: (yaml): could not determine a constructor for the tag",),
        files={"matrix.yml": edit("\nschema: 1\n", "\nschema: !!python/object:os.system x\n")},
    ),
    Case(
        "undefined-alias",
        RENDER,
        ("matrix.yml:11: (yaml): found undefined alias 'nobody'",),
        files={"matrix.yml": edit("builders: {}\n", "builders: *nobody\n")},
    ),
    Case(
        "yaml-syntax-error",
        RENDER,
        ("matrix.yml:12: (yaml): expected ',' or '}', but got '<stream end>'",),
        files={"matrix.yml": "\n" * 10 + "builders: {amd64: x\n"},
    ),
    Case(
        "empty-file",
        RENDER,
        ("matrix.yml:1: (top): expected a mapping, got nothing",),
        files={"matrix.yml": ""},
    ),
    Case(
        "a-list-at-the-top",
        RENDER,
        ("matrix.yml:1: (top): expected a mapping, got a list",),
        files={"matrix.yml": "- schema: 1\n"},
    ),
    Case(
        "matrix-is-a-directory",
        RENDER,
        ("no matrix.yml here",),
        setup=lambda root, _: _replace_by_a_directory(root / "matrix.yml"),
    ),
    Case(
        "no-lines",
        RENDER,
        ("matrix.yml:", "lines: must name at least one line"),
        files={"matrix.yml": lambda text: text[: text.index("\nlines:\n")] + "\nlines: {}\n"},
    ),
    Case(
        "name-with-trailing-newline",
        RENDER,
        ("lines.3.13.aliases[0]: alias 'x\\n' may only hold letters",),
        files={"matrix.yml": edit("    sha256: 93e5", '    aliases: ["x\\n"]\n    sha256: 93e5')},
    ),
    Case(
        "duplicate-key",
        RENDER,
        ("variants.bookworm: duplicate key 'bookworm' (first on line 103)",),
        files={"matrix.yml": edit("  slim-bookworm:\n", "  bookworm:\n", count=1)},
    ),
    Case(
        "version-written-as-a-number",
        PLAN,
        ("lines.3.13.version: expected a string, got a number 3.1 (quote it)",),
        files={"matrix.yml": edit("    version: 3.13.5\n", "    version: 3.10\n")},
    ),
)


# Through the console script in the default run (every case with -m slow).
CLI = {"alias-bomb", "nested-5000-deep", "not-utf8"}


@pytest.mark.parametrize("case", MATRIX_CASES, ids=ids(MATRIX_CASES))
def test_bad_matrix(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_in_process(case, tmp_path, capsys, monkeypatch)


@pytest.mark.parametrize("case", cli_params(MATRIX_CASES, CLI))
def test_bad_matrix_through_the_console_script(case: Case, tmp_path: Path) -> None:
    run_case(case, tmp_path)
